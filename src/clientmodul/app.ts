import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { certificatesFromPem, openFolderDirectory } from '../../adapters/directory/index.js';
import { SMCB_CA_FILES, SoftwareKonnektor } from '../../adapters/konnektor/index.js';
import { loadTlsCredentials } from '../../adapters/tls/index.js';
import type { ClientmodulConfig } from '../config/clientmodulConfig.js';
import type { Logger } from '../logging/logger.js';
import { KimMailOpener, KimMailSealer } from './message/index.js';
import { startPop3Proxy } from './pop3/proxy.js';
import { startSmtpProxy } from './smtp/proxy.js';

export interface RunningClientmodul {
  readonly ports: { readonly smtp: number; readonly pop3: number };
  close(): Promise<void>;
}

/**
 * The composition root of one Clientmodul: the software Konnektor over the card's key files,
 * the certificate directory, and the SMTP and POP3 proxies in front of the Fachdienst.
 */
export async function startClientmodul(config: ClientmodulConfig, log: Logger): Promise<RunningClientmodul> {
  const konnektor = await SoftwareKonnektor.load(config.cardDir);
  const directory = await openFolderDirectory(config.directory);
  const tls = loadTlsCredentials(config.pkiDir);
  // Every certificate of ca.crt (a bundle is fine) and of the SMC-B CA, if the PKI has one.
  const trustAnchors = [tls.ca, ...optionalFile(join(config.pkiDir, SMCB_CA_FILES.cert))].flatMap((pem) =>
    certificatesFromPem(pem.toString('utf8')),
  );
  const smtp = await startSmtpProxy({
    host: config.host,
    port: config.smtpPort,
    tls: { key: tls.key, cert: tls.cert },
    upstream: { host: config.fachdienst.host, port: config.fachdienst.smtpPort, ca: tls.ca },
    processor: new KimMailSealer({ konnektor, directory, log: log.child({ component: 'seal' }) }),
    logger: log.child({ component: 'smtp-proxy' }),
    ...(config.accountMaxMailSize === null ? {} : { accountMaxMailSize: config.accountMaxMailSize }),
  });
  try {
    const pop3 = await startPop3Proxy({
      host: config.host,
      port: config.pop3Port,
      tls: { key: tls.key, cert: tls.cert },
      upstream: { host: config.fachdienst.host, port: config.fachdienst.pop3Port, ca: tls.ca },
      processor: new KimMailOpener({ konnektor, trustAnchors, log: log.child({ component: 'open' }) }),
      logger: log.child({ component: 'pop3-proxy' }),
    });
    log.info(
      { smtpPort: smtp.port, pop3Port: pop3.port, telematikId: konnektor.card.telematikId },
      'clientmodul started',
    );
    return {
      ports: { smtp: smtp.port, pop3: pop3.port },
      async close() {
        await smtp.close();
        await pop3.close();
        log.info('clientmodul stopped');
      },
    };
  } catch (error) {
    await smtp.close();
    throw error;
  }
}

function optionalFile(path: string): Buffer[] {
  try {
    return [readFileSync(path)];
  } catch (error) {
    // A PKI without an SMC-B CA: signer chains are checked against ca.crt alone.
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
    throw error;
  }
}
