/*
 * audit.h -- the audit log: JSON Lines, hash-chained, signed in minisign
 * format after every append, cut into dated segments that are shipped with
 * signed checkpoints to every remote (docs/AUDIT.md).  The status table and
 * the metrics made from the same records are in state.h.
 *
 * On disk, beside the configured audit_log FILE (say /var/log/geosnap/
 * audit.jsonl):
 *   audit.jsonl, audit.jsonl.minisig     the open segment and its signature
 *   audit.jsonl.lock                     appenders serialise on it (flock)
 *   audit.<YYYYMMDD>.<SEQ>.jsonl[.minisig] closed segments: the date and
 *                                        seq (10 digits) of their first record
 *   audit.jsonl.torn.<UTC>               a torn last line set aside
 *   audit.jsonl.damaged.<UTC>[.minisig]  a segment that failed its check,
 *                                        set aside (a record says so)
 * On a remote, under <base>/log/<host>/: the closed segments (same names)
 * and checkpoint.<SEQ>.json[.minisig], never overwritten.
 *
 * Every line starts {"v":1,"seq":N,"prev":"<SHA-256 hex of the previous
 * line>","time":"...","time_ns":...,"host":"...","event":"...", and the
 * event's own fields follow.  The trusted comment of each signature is
 * "geosnap-audit v1 host=H first=F records=N head=<SHA-256 of the last line>".
 */
#ifndef GEOSNAP_AUDIT_H
#define GEOSNAP_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "geosnap/config.h"

#define GS_AUDIT_VERSION 1
#define GS_AUDIT_LINE_MAX (64u * 1024) /* a longer line is malformed */

struct gs_transport;
struct gs_ms_pub;

/* Where and how records are kept: [agent] audit_log, audit_key, host,
 * audit_syslog.  All borrowed.  log NULL: no log (appends do nothing). */
struct gs_audit_conf {
	const char *log;
	const char *key; /* minisign secret key; NULL: records are not signed */
	const char *host;
	int syslog;
};

/* gs_audit_conf_of(c, ret): the audit settings of a loaded config. */
void gs_audit_conf_of(const struct gs_config *c, struct gs_audit_conf *ret);

struct gs_step {
	const char *step;   /* "backup", "ship", "verify", "run" */
	const char *tenant; /* or NULL */
	const char *remote; /* or NULL */
	int status;         /* exit status of docs/CLI.md: 0 ok, 1 problem, 3 failed, 4 warn */
	int64_t start_ns;   /* CLOCK_REALTIME */
	int64_t duration_ns;
	uint64_t files;       /* entries (backup), objects (ship/verify) */
	uint64_t bytes;       /* bytes seen (backup), shipped or read back */
	uint64_t new_bytes;   /* backup: new plaintext bytes */
	const char *snapshot; /* backup: snapshot made; volume verify: checked; or NULL */
	const char *message;  /* first problem, or NULL */
	/* "repair" records, one per action of ship --repair (NULL otherwise:
	 * then the record has none of these fields) */
	const char *object; /* the file on the remote, relative to its base */
	const char *action; /* "restored", "left", "kept" or "quarantined" */
	const char *to;     /* where it was renamed to, or NULL */
	const char *reason;
};

/* gs_step_result(status): "ok", "problem", "usage", "failed" or "warnings". */
const char *gs_step_result(int status);

/*
 * A record being built: the event's own fields, in the order added.
 * gs_audit_rec_init(r, event): start one ("restore-test", "ack", ...).
 * gs_audit_rec_str(r, key, v): a string field (NULL: null).
 * gs_audit_rec_int(r, key, v), gs_audit_rec_u64(r, key, v) and
 * gs_audit_rec_dbl(r, key, v, decimals): numbers.
 * gs_audit_rec_raw(r, key, json): a field whose value is already JSON.
 * gs_audit_rec_clear(r): free it (after append, or to give up).
 * Keys are literals of [a-z0-9_]; values are escaped (gs_json_str).  Out
 * of memory is remembered and reported by the append.
 */
struct gs_audit_rec {
	const char *event;
	FILE *m;
	char *buf;
	size_t len;
	int64_t time_ns; /* 0: the time of the append */
};
int gs_audit_rec_init(struct gs_audit_rec *r, const char *event);
void gs_audit_rec_str(struct gs_audit_rec *r, const char *key, const char *v);
void gs_audit_rec_int(struct gs_audit_rec *r, const char *key, int64_t v);
void gs_audit_rec_u64(struct gs_audit_rec *r, const char *key, uint64_t v);
void gs_audit_rec_dbl(struct gs_audit_rec *r, const char *key, double v, int decimals);
void gs_audit_rec_raw(struct gs_audit_rec *r, const char *key, const char *json);
void gs_audit_rec_clear(struct gs_audit_rec *r);

/*
 * gs_audit_write(c, r): append r to the log of c, sign the open segment
 * (when c->key is set) and send the line to syslog (c->syslog).  Before
 * appending it finishes what a crash left (an interrupted cut, records
 * after the last signature: re-signed; a torn last line: set aside) and
 * sets aside an open segment that fails its check, and records each of
 * those in its own record first.  r is cleared either way.
 * 0 appended; 1 appended, but the log needed repair (warned, saying
 * what: the caller's run ends with exit 1); -1 not appended (warned).
 * c->log NULL: 0, nothing done.
 */
int gs_audit_write(const struct gs_audit_conf *c, struct gs_audit_rec *r);

/*
 * gs_audit_append(c, s): one record for a step (event s->step, the fields
 * of struct gs_step, docs/AUDIT.md) through gs_audit_write; same returns.
 */
int gs_audit_append(const struct gs_audit_conf *c, const struct gs_step *s);

/*
 * gs_audit_cut(c): close the open segment (when it holds records): it
 * becomes audit.<date>.<seq>.jsonl with its signature.  0, 1 nothing to
 * cut, -1 (warned).  Serialised with appends.
 */
int gs_audit_cut(const struct gs_audit_conf *c);

/*
 * gs_audit_ship(c, t): publish to t, under log/<host>/, every closed
 * segment it lacks and a checkpoint of the closed log (record count and
 * head hash), each with its signature; nothing is ever overwritten.  The
 * caller cuts the open segment first (gs_audit_cut), once for all the
 * remotes it ships to.  *ret_files gets the number of files published.
 * 0, or -1 (warned, naming the remote).  c->key must be set.
 */
int gs_audit_ship(const struct gs_audit_conf *c, struct gs_transport *t, uint64_t *ret_files);

/* One problem found by gs_audit_verify, in the order found. */
struct gs_audit_vres {
	uint64_t records;     /* records checked in all */
	uint64_t first_seq;   /* of the oldest segment present */
	uint64_t last_seq;    /* head */
	char head[65];        /* SHA-256 hex of the head line */
	uint64_t bad_seq;     /* first sequence number that is bad, 0 if none */
	uint64_t unsigned_n;  /* records after the last signature (a crash) */
	int torn;             /* the open segment ends in a torn line (a crash) */
	uint64_t segments;    /* files checked */
	uint64_t checkpoints; /* remote checkpoints checked */
	char why[512];        /* the first problem, in words */
};

/*
 * Verification options.  log: the local open segment (closed segments are
 * found beside it), or NULL for a remote's copy alone; pub: the host's
 * public key; remote: a transport whose log/<host>/ is checked and compared
 * with the local log (or NULL); host: which host's log on the remote (the
 * local log's host when NULL).  on_record(arg, seq, line, len): called for
 * every record in order (NULL: not called), with line not NUL-terminated;
 * a non-zero return stops the walk (returned as -1).
 */
struct gs_audit_vopts {
	const char *log;
	const struct gs_ms_pub *pub;
	struct gs_transport *remote;
	const char *host;
	int (*on_record)(void *arg, uint64_t seq, const char *line, size_t len);
	void *arg;
};

/*
 * gs_audit_verify(o, ret): check every signature, the chain across every
 * segment, the sequence, and with o->remote the shipped segments and
 * checkpoints against the local log.  0 the log verifies; 4 it verifies
 * but ends in records written after the last signature or a torn line
 * (ret->unsigned_n, ret->torn: a crash, not tampering); 1 it does not
 * (ret->bad_seq, ret->why); -1 could not be checked (I/O, warned).
 */
int gs_audit_verify(const struct gs_audit_vopts *o, struct gs_audit_vres *ret);

#endif
