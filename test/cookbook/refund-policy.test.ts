/**
 * cookbook/omniserve/support_app/refund-policy.ts against the seeded orders: every decision comes from the rows
 * of seed.sql and the day it is evaluated on, and the written policy names every rule the code can give.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateRefund, formatCents, REFUND_POLICY, REFUND_RULES, type RefundReason } from '../../cookbook/omniserve/support_app/refund-policy.ts';
import { SupportDb } from '../../cookbook/omniserve/support_app/support-db.ts';

const ANCHOR = '2025-06-16';
const db = SupportDb.open(':memory:', ANCHOR);
afterAll(() => db.close());

const evaluate = (orderId: string, today = ANCHOR, reason?: RefundReason) => {
  const order = db.getOrder(orderId);
  if (order === undefined) throw new Error(`seed.sql has no ${orderId}`);
  return evaluateRefund(order, today, reason);
};

describe('refund policy over the seeded orders, on the seed anchor day', () => {
  const cases = [
    { order: 'ORD-2001', decision: 'eligible', rule: 'full_refund', amount: '189.00', days: 10 },
    { order: 'ORD-2002', decision: 'not_eligible', rule: 'outside_window', amount: '0.00', days: 49 },
    { order: 'ORD-2003', decision: 'partial', rule: 'partial_refund', amount: '69.50', days: 6 },
    { order: 'ORD-2004', decision: 'not_eligible', rule: 'digital_downloaded', amount: '0.00', days: 4 },
    { order: 'ORD-2005', decision: 'eligible', rule: 'full_refund', amount: '19.00', days: 2 },
    { order: 'ORD-2006', decision: 'escalate', rule: 'over_limit', amount: '649.00', days: 7 },
    { order: 'ORD-2007', decision: 'not_eligible', rule: 'cancelled', amount: '0.00', days: null },
    { order: 'ORD-2008', decision: 'not_eligible', rule: 'in_transit', amount: '0.00', days: null },
    { order: 'ORD-2009', decision: 'escalate', rule: 'lost_in_transit', amount: '0.00', days: null },
    { order: 'ORD-2010', decision: 'not_eligible', rule: 'not_shipped', amount: '0.00', days: null },
    { order: 'ORD-2011', decision: 'not_eligible', rule: 'already_refunded', amount: '0.00', days: null },
    // The window's last day is in, the next one is out.
    { order: 'ORD-2012', decision: 'eligible', rule: 'full_refund', amount: '49.00', days: 30 },
    { order: 'ORD-2013', decision: 'not_eligible', rule: 'outside_window', amount: '0.00', days: 31 },
    // Opened jacket at half price, two unopened bottles in full: 49.50 + 58.00.
    { order: 'ORD-2014', decision: 'partial', rule: 'partial_refund', amount: '107.50', days: 14 },
    { order: 'ORD-2015', decision: 'escalate', rule: 'over_limit', amount: '338.00', days: 5 },
    // The downloaded course is excluded, the headlamp is refunded.
    { order: 'ORD-2016', decision: 'partial', rule: 'partial_refund', amount: '34.00', days: 11 },
    { order: 'ORD-2020', decision: 'not_eligible', rule: 'cancelled', amount: '0.00', days: null },
  ] as const;

  it.for(cases)('$order: $decision ($rule) $amount', ({ order, decision, rule, amount, days }) => {
    const result = evaluate(order);
    expect(result).toMatchObject({ order_id: order, decision, rule, refund_amount: amount, days_since_delivery: days, evaluated_on: ANCHOR, currency: 'USD' });
    expect(result.policy_section).toBe(REFUND_RULES[rule]);
    expect(result.explanation).toContain(order);
  });

  it('lists each item with the rule that priced it', () => {
    expect(evaluate('ORD-2014').items).toEqual([
      { sku: 'JKT-RAIN', name: 'Packable rain jacket', paid: '99.00', refund: '49.50', rule: 'opened_no_fault' },
      { sku: 'BOTTLE-1L', name: 'Insulated bottle, 1 l', paid: '58.00', refund: '58.00', rule: 'unopened' },
    ]);
    expect(evaluate('ORD-2016').items.map((i) => [i.sku, i.rule, i.refund])).toEqual([
      ['GUIDE-NAV', 'digital_downloaded', '0.00'],
      ['LAMP-HL', 'unopened', '34.00'],
    ]);
  });
});

describe('the reason and the day change the outcome', () => {
  it('a fault of ours refunds an opened item in full, shipping included', () => {
    expect(evaluate('ORD-2003', ANCHOR, 'changed_mind')).toMatchObject({ decision: 'partial', refund_amount: '69.50', shipping_refund: '0.00' });
    expect(evaluate('ORD-2003', ANCHOR, 'damaged')).toMatchObject({ decision: 'eligible', rule: 'fault_full_refund', refund_amount: '144.95', shipping_refund: '5.95' });
    expect(evaluate('ORD-2014', ANCHOR, 'wrong_item')).toMatchObject({ decision: 'eligible', rule: 'fault_full_refund', refund_amount: '162.95' });
  });

  it('a downloaded product reported defective is escalated, any other reason is refused', () => {
    expect(evaluate('ORD-2004', ANCHOR, 'defective')).toMatchObject({ decision: 'escalate', rule: 'digital_defect' });
    expect(evaluate('ORD-2004', ANCHOR, 'damaged')).toMatchObject({ decision: 'not_eligible', rule: 'digital_downloaded' });
  });

  it('a fault reason that pushes the total over the limit needs approval', () => {
    // 139.00 + 5.95 stays under 250.00; ORD-2019's 159.00 bag with 8.95 shipping too; ORD-2015 is over either way.
    expect(evaluate('ORD-2019', ANCHOR, 'defective')).toMatchObject({ decision: 'eligible', refund_amount: '167.95' });
    expect(evaluate('ORD-2015', ANCHOR, 'damaged')).toMatchObject({ decision: 'escalate', rule: 'over_limit', refund_amount: '346.95' });
  });

  it('the window closes 30 days after delivery (ORD-2001 was delivered 2025-06-06)', () => {
    expect(evaluate('ORD-2001', '2025-07-06')).toMatchObject({ decision: 'eligible', days_since_delivery: 30 });
    expect(evaluate('ORD-2001', '2025-07-07')).toMatchObject({ decision: 'not_eligible', rule: 'outside_window', days_since_delivery: 31 });
  });

  it('a shipped order counts as lost after 10 days in transit (ORD-2008 shipped 2025-06-13)', () => {
    expect(evaluate('ORD-2008', '2025-06-23')).toMatchObject({ decision: 'not_eligible', rule: 'in_transit' });
    expect(evaluate('ORD-2008', '2025-06-24')).toMatchObject({ decision: 'escalate', rule: 'lost_in_transit' });
  });

  it('a database created on another day has the same ages, so the same decisions', () => {
    const later = SupportDb.open(':memory:', '2026-01-10');
    try {
      expect(later.getOrder('ORD-2012')?.delivered_at).toBe('2025-12-11');
      const decide = (id: string) => evaluateRefund(later.getOrder(id)!, '2026-01-10');
      expect(decide('ORD-2012')).toMatchObject({ decision: 'eligible', days_since_delivery: 30 });
      expect(decide('ORD-2013')).toMatchObject({ decision: 'not_eligible', rule: 'outside_window', days_since_delivery: 31 });
      expect(decide('ORD-2009')).toMatchObject({ decision: 'escalate', rule: 'lost_in_transit' });
      expect(later.getTicket('T-306')?.created_at).toBe('2026-01-10T06:05:00Z');
    } finally {
      later.close();
    }
  });
});

describe('refund_policy.md and the code agree', () => {
  const policy = readFileSync(new URL('../../cookbook/omniserve/support_app/refund_policy.md', import.meta.url), 'utf8');

  it('names every rule id the code can give, in backticks', () => {
    for (const rule of Object.keys(REFUND_RULES)) expect(policy, rule).toContain(`\`${rule}\``);
  });

  it('states the numbers the code uses', () => {
    const text = policy.replace(/\s+/g, ' ');
    expect(text).toContain(`for ${REFUND_POLICY.windowDays} days after delivery`);
    expect(text).toContain(`more than ${REFUND_POLICY.lostAfterDays} days ago`);
    expect(text).toContain(`${REFUND_POLICY.openedPercent} %`);
    expect(text).toContain(`more than ${formatCents(REFUND_POLICY.approvalLimitCents)}`);
  });

  it('formats cents as a decimal amount', () => {
    expect([formatCents(0), formatCents(5), formatCents(18900), formatCents(14495)]).toEqual(['0.00', '0.05', '189.00', '144.95']);
  });
});
