import { resolveFachdienstConfig } from '../../config/fachdienstConfig.js';
import { startFachdienst } from '../../fachdienst/app.js';
import { createLogger } from '../../logging/logger.js';
import { parse } from '../args.js';
import type { CliCommand } from '../command.js';
import { stopSignal } from '../stopSignal.js';

const usage =
  'kim fachdienst [--data DIR] [--domain D[,D]] [--provider-domains D[,D]] [--host H] [--hostname NAME]\n' +
  '                [--smtp-port N] [--pop3-port N] [--http-port N] [--pki DIR] [--production] [--max-message-size N]';

const help = `usage: ${usage}

  --data DIR              data directory (KIM_DATA, default ./data)
  --domain D[,D]          KIM domains served here (KIM_DOMAIN, default localhost.kim.test)
  --provider-domains D    other KIM providers' domains mail may go to (KIM_PROVIDER_DOMAINS)
  --host H                listen address (KIM_HOST, default 127.0.0.1)
  --hostname NAME         server name in greetings and Received (KIM_HOSTNAME, default mail.<first domain>)
  --smtp-port N           SMTPS, implicit TLS (KIM_SMTP_PORT, default 10465)
  --pop3-port N           POP3S, implicit TLS (KIM_POP3_PORT, default 10995)
  --http-port N           HTTPS health and metrics (KIM_HTTP_PORT, default 18443)
  --pki DIR               server.crt, server.key, ca.crt (KIM_PKI); without it a development PKI is
                          created under DIR/pki of the data directory
  --production            refuse to start without --pki (KIM_PRODUCTION=1)
  --max-message-size N    largest message in octets (KIM_MAX_MESSAGE_SIZE, default 37748736)
`;

export const fachdienstCommand: CliCommand = {
  name: 'fachdienst',
  usage,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        data: { type: 'string' },
        domain: { type: 'string' },
        'provider-domains': { type: 'string' },
        host: { type: 'string' },
        hostname: { type: 'string' },
        'smtp-port': { type: 'string' },
        'pop3-port': { type: 'string' },
        'http-port': { type: 'string' },
        pki: { type: 'string' },
        production: { type: 'boolean' },
        'max-message-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      usage,
    );
    if (values.help === true) {
      io.stdout.write(help);
      return 0;
    }
    const config = resolveFachdienstConfig(
      {
        data: values.data,
        domain: values.domain,
        providerDomains: values['provider-domains'],
        host: values.host,
        hostname: values.hostname,
        smtpPort: values['smtp-port'],
        pop3Port: values['pop3-port'],
        httpPort: values['http-port'],
        pki: values.pki,
        production: values.production,
        maxMessageSize: values['max-message-size'],
      },
      process.env,
    );
    const log = createLogger({ service: 'fachdienst' });
    const signalled = stopSignal(log);
    const app = await startFachdienst(config, log);
    io.stdout.write(
      `fachdienst ready: smtps://${config.host}:${app.ports.smtp} pop3s://${config.host}:${app.ports.pop3} ` +
        `https://${config.host}:${app.ports.http}/health\n`,
    );
    const outcome = await Promise.race([signalled, app.failed.catch(() => 'failed')]);
    await app.close();
    log.flush();
    return outcome === 'failed' ? 1 : 0;
  },
};
