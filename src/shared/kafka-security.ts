import { anyText, oneOf } from './env';

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

/** The environment variables for Kafka security, shared by both programs. */
export const SECURITY_SPECS = {
  KAFKA_SECURITY_PROTOCOL: oneOf(SECURITY_PROTOCOLS)({ default: 'plaintext' }),
  KAFKA_SASL_MECHANISM: oneOf(SASL_MECHANISMS)({ default: 'PLAIN' }),
  KAFKA_SASL_USERNAME: anyText({ default: '' }),
  KAFKA_SASL_PASSWORD: anyText({ default: '' }),
};

interface SecurityEnv {
  KAFKA_SECURITY_PROTOCOL: KafkaSecurity['protocol'];
  KAFKA_SASL_MECHANISM: KafkaSecurity['saslMechanism'];
  KAFKA_SASL_USERNAME: string;
  KAFKA_SASL_PASSWORD: string;
}

/** Reads the validated variables; adds to `problems` what cannot work together. */
export function securityFromEnv(e: SecurityEnv, problems: string[]): KafkaSecurity {
  if (e.KAFKA_SECURITY_PROTOCOL.startsWith('sasl') && (e.KAFKA_SASL_USERNAME === '' || e.KAFKA_SASL_PASSWORD === '')) {
    problems.push(`KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SECURITY_PROTOCOL=${e.KAFKA_SECURITY_PROTOCOL}`);
  }
  return {
    protocol: e.KAFKA_SECURITY_PROTOCOL,
    saslMechanism: e.KAFKA_SASL_MECHANISM,
    saslUsername: e.KAFKA_SASL_USERNAME,
    saslPassword: e.KAFKA_SASL_PASSWORD,
  };
}

/** A configuration as the start-up log line shows it: the password replaced. */
export function withoutSecrets<C extends { security: KafkaSecurity }>(c: C): Record<string, unknown> {
  return { ...c, security: { ...c.security, saslPassword: c.security.saslPassword ? '[redacted]' : '' } };
}
