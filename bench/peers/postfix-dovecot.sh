#!/usr/bin/env bash
# Benchmark peer ("baseline"): a private Postfix 3.7 + Dovecot 2.3 instance on loopback.
#   SMTPS 127.0.0.1:10465 (implicit TLS, SASL via Dovecot) -> virtual(8) -> Maildir
#   POP3S 127.0.0.1:10995 (implicit TLS) <- Dovecot reading the same Maildirs
# Everything (config, queue, state, mail, logs) lives under DIR; the system-wide
# default Postfix/Dovecot instances are never used and are kept stopped.
#
#   install                                    apt packages, stop+disable default instances
#   PEER_PASSWORD=.. setup DIR CERT KEY ADDR.. write configs, users, empty Maildirs
#   start|stop|restart|pids DIR
set -euo pipefail

SMTPS_PORT=10465
POP3S_PORT=10995
DOMAIN=kim.test

die() { echo "postfix-dovecot: error: $*" >&2; exit 1; }
log() { echo "postfix-dovecot: $*" >&2; }
usage() { echo "usage: bash $0 COMMAND ..." >&2; sed -n "8,10p" "$0" | sed "s/^#/ /" >&2; exit 2; }

# Instance layout below DIR (absolute, so configs never depend on the cwd).
paths() {
  [[ -n ${1:-} ]] || usage
  DIR=$(realpath -m -- "$1")
  PF_CONF=$DIR/postfix          # main.cf, master.cf, lookup tables
  PF_QUEUE=$DIR/postfix-queue   # queue_directory (also holds private/auth)
  PF_DATA=$DIR/postfix-data     # data_directory
  DC_CONF=$DIR/dovecot/dovecot.conf
  DC_RUN=$DIR/dovecot/run       # base_dir (master.pid, sockets)
  MAIL=$DIR/mail                # Maildirs: $MAIL/<domain>/<local>/
}
need_setup() { [[ -f $PF_CONF/main.cf && -f $DC_CONF ]] || die "$DIR is not set up (run: setup $DIR CERT KEY ADDRESS...)"; }

pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
# PID from a master.pid file (Postfix pads it with spaces), only if that process exists.
master_pid() { local p; p=$({ tr -d ' \n' < "$1"; } 2>/dev/null) || true; if pid_alive "$p"; then echo "$p"; fi; }
pf_pid() { master_pid "$PF_QUEUE/pid/master.pid"; }
dc_pid() { master_pid "$DC_RUN/master.pid"; }
running() { [[ -n $(pf_pid) || -n $(dc_pid) ]]; }

port_listening() { [[ -n $(ss -Hltn "sport = :$1") ]]; }
# A port counts as up only once a full TLS handshake succeeds (not just TCP accept).
# (output captured first: grep -q in a pipe could SIGPIPE openssl and trip pipefail)
tls_ok() { local o; o=$(timeout 5 openssl s_client -connect "127.0.0.1:$1" -brief </dev/null 2>&1) || true; [[ $o == *'CONNECTION ESTABLISHED'* ]]; }
# All descendants of a PID (so "stop" can wait for the whole process tree).
tree() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; tree "$c"; done; }

cmd_install() {
  [[ $(id -u) -eq 0 ]] || die "install must run as root"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix dovecot-core dovecot-pop3d >/dev/null \
    || die "apt-get install failed (try: apt-get update)"
  # No systemd here: postinst may have started the default instances via init.d.
  # Stop them (by their own pid files) and keep them from starting at boot.
  if [[ -f /etc/postfix/main.cf ]] && postfix status >/dev/null 2>&1; then postfix stop || true; fi
  local p; p=$(cat /run/dovecot/master.pid 2>/dev/null || true)
  if pid_alive "$p"; then doveadm stop 2>/dev/null || kill "$p"; fi
  update-rc.d postfix disable >/dev/null 2>&1 || true
  update-rc.d dovecot disable >/dev/null 2>&1 || true
  local port
  for port in 25 110 143 465 587 993 995; do
    for _ in $(seq 50); do port_listening "$port" || break; sleep 0.2; done
    port_listening "$port" && die "port $port still listening: $(ss -Hltnp "sport = :$port")"
  done
  log "installed: $(postconf -d -h mail_version 2>/dev/null | sed 's/^/postfix /'), dovecot $(dovecot --version)"
}

cmd_setup() {
  paths "${1:-}"; local cert=${2:-} key=${3:-}; shift 3 || usage
  (( $# > 0 )) || die "no ADDRESS given"
  [[ -n ${PEER_PASSWORD:-} ]] || die "PEER_PASSWORD is not set"
  [[ -r $cert && -r $key ]] || die "cannot read certificate '$cert' or key '$key'"
  { command -v postfix && command -v dovecot; } >/dev/null || die "run 'install' first"
  local a; for a in "$@"; do [[ $a == *@"$DOMAIN" ]] || die "address '$a' is not in $DOMAIN"; done
  running && die "peer in $DIR is running; stop it first"
  # Postfix and Dovecot drop to their own users, which must be able to reach DIR (mkdtemp makes 0700 dirs).
  local up=$DIR
  while up=$(dirname "$up"); [[ $up != / ]]; do
    [[ ! -e $up || $(( 0$(stat -c %a "$up") & 1 )) -eq 1 ]] || die "$up is not searchable by other users (chmod o+x $up)"
  done

  # One system user owns all virtual mail; Postfix virtual(8) and Dovecot both use it.
  getent passwd vmail >/dev/null || useradd --system --user-group --home-dir /nonexistent \
    --no-create-home --shell /usr/sbin/nologin vmail
  local uid gid; uid=$(id -u vmail); gid=$(id -g vmail)

  mkdir -p "$PF_CONF" "$PF_QUEUE" "$PF_DATA" "$DC_RUN" "$DIR/dovecot/state" "$DIR/tls" "$MAIL"
  chmod 755 "$DIR" "$PF_CONF" "$PF_QUEUE"
  chown postfix:postfix "$PF_DATA"   # master.lock, TLS/verify caches
  # Same certificate as the server under comparison; keys readable by root only
  # (smtpd and Dovecot's config process load them before dropping privileges).
  install -m 644 -o root -g root "$cert" "$DIR/tls/cert.pem"
  install -m 600 -o root -g root "$key" "$DIR/tls/key.pem"

  # --- Postfix: Debian's stock master.cf minus port 25, plus the SMTPS listener; no chroot.
  cp /usr/share/postfix/master.cf.dist "$PF_CONF/master.cf"
  cat > "$PF_CONF/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
maillog_file = $DIR/postfix.log
maillog_file_prefixes = $DIR
myhostname = localhost
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
# never relays (only $DOMAIN is served), so no DNS is ever needed
smtp_dns_support_level = disabled
message_size_limit = 33554432
mailbox_size_limit = 0
virtual_mailbox_limit = 0

smtpd_tls_wrappermode = yes
smtpd_tls_security_level = encrypt
smtpd_tls_cert_file = $DIR/tls/cert.pem
smtpd_tls_key_file = $DIR/tls/key.pem
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sender_login_maps = hash:$PF_CONF/sender_login
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_relay_restrictions = permit_sasl_authenticated, reject
# SASL users may not relay either: recipients outside $DOMAIN are refused at RCPT
smtpd_recipient_restrictions = reject_unauth_destination

virtual_mailbox_domains = $DOMAIN
virtual_mailbox_base = $MAIL
virtual_mailbox_maps = hash:$PF_CONF/vmailbox
virtual_uid_maps = static:$uid
virtual_gid_maps = static:$gid
EOF
  postconf -c "$PF_CONF" -MX smtp/inet
  postconf -c "$PF_CONF" -M "127.0.0.1:$SMTPS_PORT/inet=127.0.0.1:$SMTPS_PORT inet n - n - - smtpd"
  postconf -c "$PF_CONF" -F '*/*/chroot = n'
  : > "$PF_CONF/vmailbox"; : > "$PF_CONF/sender_login"
  for a in "$@"; do
    echo "$a ${a#*@}/${a%@*}/" >> "$PF_CONF/vmailbox"   # trailing / = Maildir
    echo "$a $a" >> "$PF_CONF/sender_login"            # SASL login name == address
  done
  postmap -c "$PF_CONF" "hash:$PF_CONF/vmailbox" "hash:$PF_CONF/sender_login"
  # Creates the queue subdirectories (incl. private/, where Dovecot puts the auth socket).
  postfix -c "$PF_CONF" check

  # --- Dovecot: own config, nothing from /etc/dovecot.
  cat > "$DC_CONF" <<EOF
instance_name = peer-dovecot
base_dir = $DC_RUN
state_dir = $DIR/dovecot/state
protocols = pop3
listen = 127.0.0.1
log_path = $DIR/dovecot.log
ssl = required
ssl_cert = <$DIR/tls/cert.pem
ssl_key = <$DIR/tls/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = $uid
mail_location = maildir:$MAIL/%d/%n
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT username_format=%u $DIR/dovecot/users
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$MAIL/%d/%n
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = $POP3S_PORT
    ssl = yes
  }
}
# SASL backend for Postfix smtpd (smtpd_sasl_path = private/auth)
service auth {
  unix_listener $PF_QUEUE/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
  : > "$DIR/dovecot/users"   # user:{SHA512-CRYPT}$6$salt$hash (own salt per user)
  for a in "$@"; do
    echo "$a:$(doveadm -c "$DC_CONF" pw -s SHA512-CRYPT -p "$PEER_PASSWORD")::::::" >> "$DIR/dovecot/users"
  done
  chown root:dovecot "$DIR/dovecot/users"; chmod 640 "$DIR/dovecot/users"   # auth runs as 'dovecot'
  doveconf -c "$DC_CONF" -n >/dev/null || die "dovecot config invalid"

  # Maildirs (the bench sets up a fresh DIR per run; mail already in them is kept).
  for a in "$@"; do mkdir -p "$MAIL/${a#*@}/${a%@*}"/{new,cur,tmp}; done
  chown -R vmail:vmail "$MAIL"; chmod 700 "$MAIL"
  log "set up $DIR for: $*"
}

cmd_start() {
  paths "${1:-}"; need_setup
  # The daemons must not keep our stdout/stderr: a caller waiting for them to close would hang.
  [[ -n $(pf_pid) ]] || postfix -c "$PF_CONF" start </dev/null >>"$DIR/postfix.log" 2>&1 \
    || die "postfix did not start; see $DIR/postfix.log"
  [[ -n $(dc_pid) ]] || dovecot -c "$DC_CONF" </dev/null >>"$DIR/dovecot.log" 2>&1 \
    || die "dovecot did not start; see $DIR/dovecot.log"

  for _ in $(seq 60); do
    tls_ok "$SMTPS_PORT" && tls_ok "$POP3S_PORT" && { log "started ($(cmd_pids "$DIR" | paste -sd' '))"; return; }
    sleep 0.5
  done
  die "ports $SMTPS_PORT/$POP3S_PORT do not accept TLS; see $DIR/postfix.log $DIR/dovecot.log"
}

cmd_stop() {
  paths "${1:-}"; need_setup
  local pf dc procs="" p
  pf=$(pf_pid); dc=$(dc_pid)
  for p in $pf $dc; do procs="$procs $p $(tree "$p")"; done   # whole trees, to wait for
  [[ -n $pf ]] && { postfix -c "$PF_CONF" stop 2>/dev/null || kill "$pf"; }
  [[ -n $dc ]] && kill "$dc"   # Dovecot master shuts down its children on SIGTERM
  for _ in $(seq 100); do
    local left=""; for p in $procs; do pid_alive "$p" && left="$left $p"; done
    if [[ -z $left ]] && ! port_listening "$SMTPS_PORT" && ! port_listening "$POP3S_PORT"; then
      log "stopped"; return
    fi
    sleep 0.2
  done
  die "still running after 20s: pids$left; $(ss -Hltnp "( sport = :$SMTPS_PORT or sport = :$POP3S_PORT )")"
}

cmd_pids() {
  paths "${1:-}"; need_setup
  local pf dc; pf=$(pf_pid); dc=$(dc_pid)
  [[ -n $pf && -n $dc ]] || die "peer not running (postfix master: ${pf:-none}, dovecot master: ${dc:-none})"
  printf '%s\n%s\n' "$pf" "$dc"
}

case ${1:-} in
  install) cmd_install ;;
  setup)   shift; cmd_setup "$@" ;;
  start)   cmd_start "${2:-}" ;;
  stop)    cmd_stop "${2:-}" ;;
  restart) cmd_stop "${2:-}"; cmd_start "${2:-}" ;;
  pids)    cmd_pids "${2:-}" ;;
  *) usage ;;
esac
