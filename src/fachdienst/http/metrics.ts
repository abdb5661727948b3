/** Prometheus text exposition of the figures an operator watches. */
export interface MetricsInput {
  readonly head: bigint | null;
  readonly projections: Readonly<Record<string, bigint | null>>;
  readonly pendingSubmissions: number;
  readonly oldestPendingSeconds: number;
  readonly smtpPipeline: { readonly running: number; readonly waiting: number };
  readonly pop3Sessions: number;
}

export function metricsText(m: MetricsInput): string {
  const lines = [
    '# HELP kim_event_store_head_position Position of the newest event in the log.',
    '# TYPE kim_event_store_head_position gauge',
    `kim_event_store_head_position ${m.head ?? 0}`,
    '# HELP kim_projection_position Last log position applied by each projection.',
    '# TYPE kim_projection_position gauge',
    ...Object.entries(m.projections).map(
      ([name, p]) => `kim_projection_position{projection="${name}"} ${p ?? 0}`,
    ),
    '# HELP kim_delivery_pending_submissions Accepted messages not yet delivered to every recipient.',
    '# TYPE kim_delivery_pending_submissions gauge',
    `kim_delivery_pending_submissions ${m.pendingSubmissions}`,
    '# HELP kim_delivery_oldest_pending_seconds Age of the oldest undelivered message (KIM promises availability within 2 hours).',
    '# TYPE kim_delivery_oldest_pending_seconds gauge',
    `kim_delivery_oldest_pending_seconds ${m.oldestPendingSeconds.toFixed(3)}`,
    '# HELP kim_smtp_data_pipeline Messages in the SMTP DATA pipeline (running, waiting).',
    '# TYPE kim_smtp_data_pipeline gauge',
    `kim_smtp_data_pipeline{state="running"} ${m.smtpPipeline.running}`,
    `kim_smtp_data_pipeline{state="waiting"} ${m.smtpPipeline.waiting}`,
    '# HELP kim_pop3_sessions Open POP3 sessions.',
    '# TYPE kim_pop3_sessions gauge',
    `kim_pop3_sessions ${m.pop3Sessions}`,
  ];
  return `${lines.join('\n')}\n`;
}
