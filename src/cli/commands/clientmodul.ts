import { startClientmodul } from '../../clientmodul/app.js';
import { resolveClientmodulConfig } from '../../config/clientmodulConfig.js';
import { createLogger } from '../../logging/logger.js';
import { parse } from '../args.js';
import type { CliCommand } from '../command.js';
import { stopSignal } from '../stopSignal.js';

const usage =
  'kim clientmodul --card DIR --pki DIR --directory URL [--fachdienst HOST] [--fachdienst-smtp-port N]\n' +
  '                [--fachdienst-pop3-port N] [--host H] [--smtp-port N] [--pop3-port N] [--max-mail-size N]';

const help = `usage: ${usage}

Runs a Clientmodul beside the practice's mail program: mail sent through its SMTPS port is signed
with the card's OSIG key and encrypted for every recipient (and the sender); mail fetched through
its POP3S port is decrypted and its signature checked (X-KIM-DecryptionResult,
X-KIM-IntegrityCheckResult). Mail program usernames: address#fachdienst-host:port#Mandant#
Clientsystem#Workplace (or the plain address, then the default Fachdienst below).

  --card DIR                  institution card: osig/enc/aut .crt+.key or .p12 (KIM_CM_CARD;
                              PKCS#12 password in KIM_CARD_PASSWORD)
  --pki DIR                   ca.crt (trust for the Fachdienst and signers), server.crt/.key for
                              our own listeners, smcb-ca.crt if present (KIM_CM_PKI)
  --directory URL             recipients' encryption certificates: folder or file: URL (KIM_CM_DIRECTORY)
  --fachdienst HOST           default Fachdienst (KIM_CM_FACHDIENST, default 127.0.0.1)
  --fachdienst-smtp-port N    its SMTPS port (KIM_CM_FACHDIENST_SMTP_PORT, default 10465)
  --fachdienst-pop3-port N    its POP3S port (KIM_CM_FACHDIENST_POP3_PORT, default 10995)
  --host H                    listen address (KIM_CM_HOST, default 127.0.0.1)
  --smtp-port N               SMTPS for the mail program (KIM_CM_SMTP_PORT, default 20465)
  --pop3-port N               POP3S for the mail program (KIM_CM_POP3_PORT, default 20995)
  --max-mail-size N           the account's mail size limit in octets (KIM_CM_MAX_MAIL_SIZE)
`;

export const clientmodulCommand: CliCommand = {
  name: 'clientmodul',
  usage,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        card: { type: 'string' },
        pki: { type: 'string' },
        directory: { type: 'string' },
        fachdienst: { type: 'string' },
        'fachdienst-smtp-port': { type: 'string' },
        'fachdienst-pop3-port': { type: 'string' },
        host: { type: 'string' },
        'smtp-port': { type: 'string' },
        'pop3-port': { type: 'string' },
        'max-mail-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      usage,
    );
    if (values.help === true) {
      io.stdout.write(help);
      return 0;
    }
    const config = resolveClientmodulConfig(
      {
        card: values.card,
        pki: values.pki,
        directory: values.directory,
        fachdienst: values.fachdienst,
        fachdienstSmtpPort: values['fachdienst-smtp-port'],
        fachdienstPop3Port: values['fachdienst-pop3-port'],
        host: values.host,
        smtpPort: values['smtp-port'],
        pop3Port: values['pop3-port'],
        maxMailSize: values['max-mail-size'],
      },
      process.env,
    );
    const log = createLogger({ service: 'clientmodul' });
    const signalled = stopSignal(log);
    const app = await startClientmodul(config, log);
    io.stdout.write(
      `clientmodul ready: smtps://${config.host}:${app.ports.smtp} pop3s://${config.host}:${app.ports.pop3}\n`,
    );
    await signalled;
    await app.close();
    log.flush();
    return 0;
  },
};
