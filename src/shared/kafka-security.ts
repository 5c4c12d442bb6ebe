export const SECURITY_PROTOCOLS = ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const;
/** Variables whose values are never echoed: not in errors, logs or metrics. */
export const SECRET_VARIABLES = new Set(['KAFKA_SASL_PASSWORD']);
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

export interface KafkaSecurity {
  protocol: (typeof SECURITY_PROTOCOLS)[number];
  saslMechanism: (typeof SASL_MECHANISMS)[number];
  saslUsername: string;
  saslPassword: string;
}

/** librdkafka settings for the chosen security protocol; empty for plaintext. */
export function securitySettings(s: KafkaSecurity): Record<string, string> {
  if (s.protocol === 'plaintext') return {};
  const out: Record<string, string> = { 'security.protocol': s.protocol };
  if (s.protocol.startsWith('sasl')) {
    out['sasl.mechanisms'] = s.saslMechanism;
    out['sasl.username'] = s.saslUsername;
    out['sasl.password'] = s.saslPassword;
  }
  return out;
}
