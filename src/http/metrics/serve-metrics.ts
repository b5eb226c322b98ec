import { Counter, Gauge, Registry } from 'prom-client';
import type { AdmissionSnapshot } from '../admission/run-admission.ts';
import { RecentSummary } from './recent-summary.ts';
import { routeMetricName } from './route-metric-name.ts';
import { createRunInstruments, RunObservation, type RunInstruments } from './run-observation.ts';

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export interface ServeMetricsOptions {
  /** Read at scrape time for the run gauges (`omniserve_runs_*`). */
  readonly admission: () => AdmissionSnapshot;
}

/**
 * This server's Prometheus metrics (spec 8.1) in a registry of its own, so two servers in one process never share a
 * counter. Request metrics use the reference's names; run metrics come from the runs' events.
 */
export class ServeMetrics {
  readonly #registry = new Registry();
  readonly #total: Counter;
  readonly #success: Counter;
  readonly #error: Counter;
  readonly #active: Gauge;
  readonly #duration = new RecentSummary({
    name: 'omniserve_request_duration_seconds',
    help: 'Time to answer requests (to the start of the response for streams); _avg covers the latest 1000',
    window: 1000,
  });
  /** By route template; the route table bounds how many there can be. */
  readonly #byRoute = new Map<string, Counter>();
  readonly #runs: RunInstruments;

  constructor(options: ServeMetricsOptions) {
    const registers = [this.#registry];
    this.#total = new Counter({ name: 'omniserve_requests_total', help: 'HTTP requests answered', registers });
    this.#success = new Counter({ name: 'omniserve_requests_success', help: 'Requests answered below 400', registers });
    this.#error = new Counter({
      name: 'omniserve_requests_error',
      help: 'Requests answered with 400 or more, or abandoned by the client before an answer',
      registers,
    });
    this.#active = new Gauge({ name: 'omniserve_active_requests', help: 'Requests being answered now', registers });
    const gauge = (name: string, help: string, read: (s: AdmissionSnapshot) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(options.admission()));
        },
      });
    gauge('omniserve_runs_in_flight', 'Agent runs holding a slot now', (s) => s.inFlight);
    gauge('omniserve_runs_waiting', 'Requests waiting for a run slot', (s) => s.waiting);
    gauge('omniserve_runs_limit', 'Run slots of this process (0: unlimited)', (s) => s.limit);
    new Counter({
      name: 'omniserve_runs_rejected_total',
      help: 'Runs refused with 503 ServerBusy because no slot freed in time',
      registers,
      collect() {
        this.reset();
        this.inc(options.admission().rejected);
      },
    });
    this.#runs = createRunInstruments(this.#registry);
  }

  requestStarted(): void {
    this.#active.inc();
  }

  /** `route` is the matched route's template (undefined when nothing matched); never a concrete path. */
  requestFinished(route: string | undefined, status: number, seconds: number): void {
    this.#active.dec();
    this.#total.inc();
    (status >= 400 ? this.#error : this.#success).inc();
    this.#duration.observe(seconds);
    this.#routeCounter(routeMetricName(route)).inc();
  }

  startRun(runId: string): RunObservation {
    return new RunObservation(runId, this.#runs);
  }

  /** The exposition text (`text/plain; version=0.0.4`). */
  async render(): Promise<string> {
    return (await this.#registry.metrics()) + this.#duration.render();
  }

  #routeCounter(name: string): Counter {
    let counter = this.#byRoute.get(name);
    if (counter === undefined) {
      counter = new Counter({
        name: `omniserve_requests_${name}_total`,
        help: `Requests answered by the route ${name}`,
        registers: [this.#registry],
      });
      this.#byRoute.set(name, counter);
    }
    return counter;
  }
}
