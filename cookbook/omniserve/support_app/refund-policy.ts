/**
 * refund_policy.md as code: a pure function from an order, today's date and the customer's reason to a decision
 * and the rule that made it. The numbers and the rule ids match the written policy (a test checks the ids).
 */
import { addDays, daysBetween } from './support-clock.ts';
import type { Order, OrderItem } from './support-db.ts';

export const REFUND_POLICY = {
  /** 3: refundable through the 30th day after delivery. */
  windowDays: 30,
  /** 2.4: shipped more than this many days ago and not delivered counts as lost. */
  lostAfterDays: 10,
  /** 4.2: share of the price refunded for an opened item returned without a fault of ours. */
  openedPercent: 50,
  /** 6: refunds above this need approval. */
  approvalLimitCents: 25_000,
} as const;

export const REFUND_REASONS = ['changed_mind', 'damaged', 'defective', 'wrong_item', 'other'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];
const FAULT_REASONS: ReadonlySet<string> = new Set<RefundReason>(['damaged', 'defective', 'wrong_item']);

/** Every rule id the evaluation can name, with the policy section that defines it. */
export const REFUND_RULES = {
  cancelled: '2.1',
  already_refunded: '2.2',
  not_shipped: '2.3',
  in_transit: '2.4',
  lost_in_transit: '2.4',
  outside_window: '3',
  unopened: '4.1',
  opened_no_fault: '4.2',
  opened_fault: '4.2',
  digital_not_downloaded: '4.3',
  digital_downloaded: '4.4',
  digital_defect: '4.4',
  over_limit: '6',
  full_refund: '7',
  fault_full_refund: '7',
  partial_refund: '7',
} as const;
export type RefundRule = keyof typeof REFUND_RULES;

export type RefundDecisionKind = 'eligible' | 'partial' | 'not_eligible' | 'escalate';

export interface ItemRefund {
  readonly sku: string;
  readonly name: string;
  readonly paid: string;
  readonly refund: string;
  readonly rule: RefundRule;
}

export interface RefundDecision {
  readonly order_id: string;
  readonly decision: RefundDecisionKind;
  /** The rule that decided; see `policy_section` in refund_policy.md. */
  readonly rule: RefundRule;
  readonly policy_section: string;
  /** What the policy gives, as a decimal string in `currency`; for `escalate`, the amount a person must approve. */
  readonly refund_amount: string;
  readonly currency: string;
  readonly explanation: string;
  /** What the assistant should do next. */
  readonly next_step: string;
  readonly reason: RefundReason | 'not_given';
  readonly evaluated_on: string;
  readonly order_status: Order['status'];
  readonly days_since_delivery: number | null;
  /** Per item, when the order was delivered and inside the window. */
  readonly items: readonly ItemRefund[];
  readonly shipping_refund: string;
}

/** Cents as a decimal string: 18900 → "189.00". */
export function formatCents(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.trunc(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

interface ItemOutcome {
  readonly rule: RefundRule;
  readonly cents: number;
  readonly escalate: boolean;
}

function evaluateItem(item: OrderItem, reason: RefundReason | undefined): ItemOutcome {
  const paid = item.unit_price_cents * item.quantity;
  const fault = reason !== undefined && FAULT_REASONS.has(reason);
  if (item.kind === 'digital') {
    if (item.downloaded_at === null) return { rule: 'digital_not_downloaded', cents: paid, escalate: false };
    return reason === 'defective' ? { rule: 'digital_defect', cents: 0, escalate: true } : { rule: 'digital_downloaded', cents: 0, escalate: false };
  }
  if (!item.opened) return { rule: 'unopened', cents: paid, escalate: false };
  if (fault) return { rule: 'opened_fault', cents: paid, escalate: false };
  return { rule: 'opened_no_fault', cents: Math.round((paid * REFUND_POLICY.openedPercent) / 100), escalate: false };
}

const NOT_ELIGIBLE_STEP = 'Explain the rule kindly and do not offer or promise a refund.';
const ESCALATE_STEP =
  'Do not promise a refund or an amount. Escalate the ticket (open_ticket first if there is none) with escalate_ticket, citing the rule, and tell the customer a person will review it.';

/** Evaluates refund_policy.md for one order on `today` (YYYY-MM-DD). */
export function evaluateRefund(order: Order, today: string, reason?: RefundReason): RefundDecision {
  const base = {
    order_id: order.order_id,
    currency: order.currency,
    reason: reason ?? ('not_given' as const),
    evaluated_on: today,
    order_status: order.status,
  };
  const outcome = (
    decision: RefundDecisionKind,
    rule: RefundRule,
    explanation: string,
    nextStep: string,
    extra: { cents?: number; days?: number | null; items?: ItemRefund[]; shippingCents?: number } = {},
  ): RefundDecision => ({
    ...base,
    decision,
    rule,
    policy_section: REFUND_RULES[rule],
    refund_amount: formatCents(extra.cents ?? 0),
    explanation,
    next_step: nextStep,
    days_since_delivery: extra.days ?? null,
    items: extra.items ?? [],
    shipping_refund: formatCents(extra.shippingCents ?? 0),
  });

  switch (order.status) {
    case 'cancelled':
      return outcome('not_eligible', 'cancelled', `${order.order_id} was cancelled on ${order.cancelled_at}; the payment was voided, so there is nothing to refund.`,
        `${NOT_ELIGIBLE_STEP} Tell the customer the voided charge leaves their statement within 5 business days.`);
    case 'refunded':
      return outcome('not_eligible', 'already_refunded', `${order.order_id} was already refunded on ${order.refunded_at}; an order is refunded once.`, NOT_ELIGIBLE_STEP);
    case 'processing':
      return outcome('not_eligible', 'not_shipped', `${order.order_id} has not shipped yet; orders are cancelled, not refunded, before they ship.`,
        `${NOT_ELIGIBLE_STEP} Offer to cancel the order instead, which voids the payment in full.`);
    case 'shipped': {
      const shipped = order.shipped_at ?? order.ordered_at;
      const days = daysBetween(shipped, today);
      if (days > REFUND_POLICY.lostAfterDays) {
        return outcome('escalate', 'lost_in_transit', `${order.order_id} shipped on ${shipped}, ${days} days ago, and was never delivered: it counts as lost.`, ESCALATE_STEP);
      }
      return outcome('not_eligible', 'in_transit', `${order.order_id} shipped on ${shipped} and is still in transit; it cannot be refunded before delivery.`,
        `${NOT_ELIGIBLE_STEP} If it has not arrived by ${addDays(shipped, REFUND_POLICY.lostAfterDays + 1)}, it counts as lost and gets escalated.`);
    }
    case 'delivered':
      break;
  }

  const delivered = order.delivered_at ?? order.ordered_at;
  const days = daysBetween(delivered, today);
  if (days > REFUND_POLICY.windowDays) {
    return outcome('not_eligible', 'outside_window', `${order.order_id} was delivered on ${delivered}, ${days} days ago; refunds end ${REFUND_POLICY.windowDays} days after delivery (${addDays(delivered, REFUND_POLICY.windowDays)}).`,
      `${NOT_ELIGIBLE_STEP} If the customer reports a defect, open a ticket for a warranty review instead.`, { days });
  }

  const evaluated = order.items.map((item) => ({ item, ...evaluateItem(item, reason) }));
  const items = evaluated.map(({ item, rule, cents }) => ({
    sku: item.sku, name: item.name, paid: formatCents(item.unit_price_cents * item.quantity), refund: formatCents(cents), rule,
  }));
  const itemCents = evaluated.reduce((sum, { cents }) => sum + cents, 0);
  const paidCents = order.items.reduce((sum, item) => sum + item.unit_price_cents * item.quantity, 0);
  const fault = reason !== undefined && FAULT_REASONS.has(reason);
  const shippingCents = fault && itemCents > 0 ? order.shipping_cents : 0;
  const total = itemCents + shippingCents;
  const extra = { cents: total, days, items, shippingCents };
  const window = `delivered ${delivered}, ${days} days ago, inside the ${REFUND_POLICY.windowDays}-day window`;

  const defect = evaluated.find((e) => e.escalate);
  if (defect !== undefined) {
    return outcome('escalate', 'digital_defect', `${order.order_id}: ${defect.item.name} was downloaded and is reported defective; the product team decides.`, ESCALATE_STEP, extra);
  }
  if (total > REFUND_POLICY.approvalLimitCents) {
    return outcome('escalate', 'over_limit', `${order.order_id} (${window}): the policy gives ${order.currency} ${formatCents(total)}, above the ${formatCents(REFUND_POLICY.approvalLimitCents)} approval limit.`,
      `${ESCALATE_STEP} Say the amount is not confirmed until approved.`, extra);
  }
  if (itemCents === 0) {
    const rule = evaluated[0]?.rule ?? 'digital_downloaded';
    return outcome('not_eligible', rule, `${order.order_id} (${window}): nothing is refundable; downloaded digital products are not refunded.`,
      `${NOT_ELIGIBLE_STEP} If the customer says the product is defective, check again with reason "defective".`, extra);
  }
  const refundStep = `Tell the customer ${order.currency} ${formatCents(total)} will be refunded, citing ${order.order_id}, and open a ticket (open_ticket) so the refunds team issues it.`;
  if (itemCents < paidCents) {
    const reduced = evaluated.filter((e) => e.cents < e.item.unit_price_cents * e.item.quantity).map((e) => `${e.item.name} (${e.rule})`);
    return outcome('partial', 'partial_refund', `${order.order_id} (${window}): ${order.currency} ${formatCents(total)} of ${formatCents(paidCents + order.shipping_cents)}; reduced: ${reduced.join(', ')}.`, refundStep, extra);
  }
  return outcome('eligible', fault ? 'fault_full_refund' : 'full_refund',
    `${order.order_id} (${window}): every item is refunded in full${shippingCents > 0 ? ', shipping included (a fault of ours)' : ', shipping kept (no fault of ours)'}.`, refundStep, extra);
}
