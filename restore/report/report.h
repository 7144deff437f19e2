/*
 * report.h -- the auditor's report (geosnap-restore report, docs/AUDIT.md
 * "The auditor's report"): what it is made of, and the functions that
 * gather it, analyse it and write it.
 *
 *   record.c   one record line, parsed strictly (record.h)
 *   model.c    the report's records and logs, the checks of the fields the
 *              report reads, acknowledgements, outcomes, figures
 *   gaps.c     the gaps called out
 *   gather.c   where the logs come from (the configuration's audit_log or
 *              --log, every host of --from REMOTE) and their verification
 *   out_html.c one self-contained HTML file (inline CSS and SVG)
 *   out_text.c Markdown, JSON and CSV
 *   out_util.c what the writers share: escaping, numbers, labels
 *   cert.c     deletion certificates and pending erasures
 *
 * Records are kept in memory while the logs are walked (bounded by
 * GS_REPORT_MEM_MAX bytes of lines); nothing in them is trusted (record.h).
 */
#ifndef GEOSNAP_REPORT_H
#define GEOSNAP_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "geosnap/audit.h"
#include "report/record.h"

#define GS_REPORT_MEM_MAX ((size_t)512 << 20) /* bytes of records kept */
#define GS_REPORT_DAYS_MAX 3700               /* about ten years */
#define GS_REPORT_TENANTS_MAX 4096
#define GS_REPORT_HOSTS_MAX 1024
#define GS_REPORT_GAPS_MAX 100000 /* more are counted, not listed */

/* The outcome of a tenant's night (a calendar cell). */
enum gs_outcome {
	GS_OUT_NONE, /* no step recorded that day */
	GS_OUT_OK,   /* every step ended 0 */
	GS_OUT_WARN, /* the worst step ended 4 */
	GS_OUT_FAIL, /* a step ended 1, 2 or 3 and was not acknowledged */
	GS_OUT_ACK,  /* every step that failed or warned was acknowledged */
	GS_OUT_NA,   /* a day not over by the period's end: not judged */
};
#define GS_CELL_RTEST 0x10      /* a restore test that day, all passed */
#define GS_CELL_RTEST_FAIL 0x20 /* a restore test that day that failed */

/* The kinds of record the report knows (everything else is "other"). */
enum gs_rkind { GS_RK_OTHER, GS_RK_STEP, GS_RK_RUN, GS_RK_RTEST, GS_RK_ACK };

/* One record of the report, with what the analysis found about it. */
struct gs_ritem {
	struct gs_arec r;
	size_t log; /* index of the log it came from */
	enum gs_rkind kind;
	const char *tenant, *remote; /* or NULL */
	int status;                  /* -1 when the record has none */
	int in_period;
	uint64_t ack_seq;     /* the ack record that acknowledged it, or 0 */
	const char *ack_time; /* its time (borrowed from it) */
	const char *ack_note;
	int ack_via_steps; /* a run acknowledged through its failed steps */
	uint64_t acks;     /* GS_RK_ACK: the seq it acknowledges, 0 if none */
};

/* One log and its verification. */
struct gs_rlog {
	char *host;   /* the host, or NULL when not known */
	char *source; /* "/var/log/geosnap/audit.jsonl", "remote fi1: log/web1/" */
	int vrc;      /* gs_audit_verify's return, or GS_RLOG_UNCHECKED */
	struct gs_audit_vres v;
	char keyid[17];         /* of the public key it was checked with, or "" */
	char note[512];         /* why it was not checked, or "" */
	uint64_t seen;          /* records walked */
	int64_t first_time_ns;  /* of the first record walked, or -1 */
	uint64_t malformed;     /* records the report refused (record.h, model.c) */
	uint64_t malformed_seq; /* the first of them */
	char malformed_why[256];
	uint64_t dropped;   /* records walked but not evidence (model.c trusted()) */
	uint64_t conflicts; /* records another source holds different */
	uint64_t conflict_seq;
};
#define GS_RLOG_UNCHECKED (-2)

enum gs_gap_kind {
	GS_GAP_LOG,   /* a log does not verify, or could not be checked */
	GS_GAP_NIGHT, /* a night with no run */
	GS_GAP_UNACK, /* a failure never acknowledged */
	GS_GAP_RTEST, /* too long since a tenant's last restore test */
	GS_GAP_NOLOG, /* a configured host with no log */
	GS_GAP_MAX
};

struct gs_rgap {
	enum gs_gap_kind kind;
	char *host, *tenant; /* or NULL */
	char date[11];       /* YYYY-MM-DD, or "" */
	uint64_t seq;        /* the record concerned, or 0 */
	char *detail;
};

/* Parity of one tenant on one copy ("" is the volume parity). */
struct gs_rparity {
	const char *remote;
	uint64_t checks, ok, failed, objects, bytes;
	const struct gs_ritem *last;
};

struct gs_rtenant {
	char *name;
	unsigned char *cells; /* ndays: enum gs_outcome | GS_CELL_* */
	uint64_t nights[GS_OUT_NA + 1];
	uint64_t backups, backup_bytes, backup_new_bytes, ships, ship_bytes;
	double backup_s, backup_s_max, ship_s;
	struct gs_rparity *parity;
	size_t nparity;
	uint64_t rtests, rtests_failed;
	const struct gs_ritem *last_rtest; /* the latest up to the period's end */
};

struct gs_report {
	int64_t since, until; /* the period, [since, until), seconds */
	int64_t now;          /* when the report was made */
	uint64_t rt_max_age_s;
	const char *config; /* the configuration's path, or NULL (borrowed) */
	struct gs_rlog *logs;
	size_t nlogs;
	struct gs_ritem *items; /* after gs_report_build: by time, host, seq */
	size_t nitems, capitems;
	size_t mem; /* bytes of lines held */
	/* The configuration's tenants and [host] sections, covered even when
	 * they recorded nothing: malloc'd arrays (freed by gs_report_free) of
	 * borrowed names. */
	char **want_tenants;
	size_t nwant_tenants;
	char **want_hosts;
	size_t nwant_hosts;
	/* gs_report_build() */
	int64_t day0; /* first day of the period (days since the epoch) */
	size_t ndays;
	struct gs_rtenant *tenants;
	size_t ntenants;
	struct gs_rgap *gaps;
	size_t ngaps;
	uint64_t gap_count[GS_GAP_MAX]; /* all, listed or not */
	uint64_t in_period;             /* records in the period */
};

/*
 * gs_report_init(r, since, until, now, rt_max_age_s): an empty report for
 * the period [since, until) (seconds).  gs_report_free(r): free everything
 * r holds (not r).
 */
void gs_report_init(struct gs_report *r, int64_t since, int64_t until, int64_t now,
                    uint64_t rt_max_age_s);
void gs_report_free(struct gs_report *r);

/*
 * gs_report_log(r, host, source): a new log of r, its host (or NULL) and
 * source copied; vrc GS_RLOG_UNCHECKED.  Borrowed from r (valid until the
 * next call), or NULL (warned: out of memory).
 */
struct gs_rlog *gs_report_log(struct gs_report *r, const char *host, const char *source);

/*
 * gs_report_record(r, log, seq, line, len): one record of the log at index
 * log, as gs_audit_verify's on_record gives it: parsed (record.h), its
 * fields checked, and kept when the report can need it.  A malformed line
 * is counted in the log (and warned, naming the seq) and skipped.  0, or
 * -1 when the report cannot hold more (warned).
 */
int gs_report_record(struct gs_report *r, size_t log, uint64_t seq, const char *line, size_t len);

/*
 * gs_report_build(r): the analysis: duplicates across sources, the
 * acknowledgements, each tenant's nights, parity and restore tests, and
 * the gaps.  0, or -1 out of memory (warned).
 */
int gs_report_build(struct gs_report *r);

/* gs_report_find_gaps(r): the gaps of a report gs_report_build() has
 * analysed (called by it).  0, or -1 out of memory (warned). */
int gs_report_find_gaps(struct gs_report *r);

/* gs_report_log_ok(l): 1 when log l verified (possibly with a crash's
 * unsigned tail), had no malformed record and no conflict, else 0. */
int gs_report_log_ok(const struct gs_rlog *l);

/* gs_report_gaps(r): the number of gaps found (listed or not). */
uint64_t gs_report_gaps(const struct gs_report *r);

/* The writers: each returns 0, or -1 when writing failed (errno set; not
 * warned).
 * gs_report_html(r, f): r into f as one self-contained HTML file. */
int gs_report_html(const struct gs_report *r, FILE *f);
/* gs_report_md(r, f): r into f as Markdown. */
int gs_report_md(const struct gs_report *r, FILE *f);
/* gs_report_json(r, f): r into f as one JSON object. */
int gs_report_json(const struct gs_report *r, FILE *f);
/* gs_report_csv(r, f): r into f as CSV, one row per record of the period. */
int gs_report_csv(const struct gs_report *r, FILE *f);

/* What gather.c takes. */
struct gs_config;
struct gs_report_src {
	const struct gs_config *cfg; /* or NULL */
	const char *log;             /* --log FILE, else the configuration's audit_log, or NULL */
	const char *pubkey;          /* --pubkey FILE, or NULL */
	const char *from;            /* --from REMOTE, or NULL */
};

/*
 * gs_report_gather(r, src): verify every log src names and add it and its
 * records to r: the local log (checked against the remote's copy when
 * src->from is set), then every other host under the remote's log/.  A
 * log that does not verify or has no public key is recorded in r (a gap),
 * not an error.  GS_EXIT_OK, GS_EXIT_USAGE (no log at all, an unknown
 * remote, an unreadable public key given with --pubkey) or GS_EXIT_FAIL
 * (the remote cannot be reached or listed, out of memory); warned.
 */
int gs_report_gather(struct gs_report *r, const struct gs_report_src *src);

/* ---- cert.c: departed tenants ---- */

/* A tenant's erasure: its latest certificate and its latest "erase"
 * record of the tenant as a whole (each NULL when there is none), and what
 * the report shows of them (strings borrowed from the records, "-" when
 * unknown). */
struct gs_rerasure {
	const char *tenant;
	const struct gs_ritem *cert, *last;
	const char *state; /* "certified", or the last erase record's state */
	const char *offboarded, *deadline;
	const char *certified; /* the certificate's time, or "-" */
	const char *met;       /* "yes", "no" or "-" */
	const char *message;   /* the last erase record's message, or "-" */
};
/* gs_report_certificate(r, tenant): the latest "deletion-certificate"
 * record of tenant in a log that verified, borrowed from r, or NULL. */
const struct gs_ritem *gs_report_certificate(const struct gs_report *r, const char *tenant);
/* gs_report_erasures(r, ret, ret_n): one entry per tenant with an "erase"
 * or "deletion-certificate" record, malloc'd (free it; entries borrow from
 * r).  0, or -1 out of memory (warned). */
int gs_report_erasures(const struct gs_report *r, struct gs_rerasure **ret, size_t *ret_n);

/*
 * gs_report_cert_lookup(r, src, tenant, ret): verify every log src names
 * (gs_report_gather, over the last GS_REPORT_DAYS_MAX days) into r (set
 * up here; the caller frees it with gs_report_free, on failure too),
 * analyse it, and find the
 * tenant's latest certificate in a log that verified: *ret (borrowed from
 * r), NULL when there is none.  GS_EXIT_OK, or gs_report_gather's exit
 * status (warned).
 */
int gs_report_cert_lookup(struct gs_report *r, const struct gs_report_src *src, const char *tenant,
                          const struct gs_ritem **ret);

/* gs_report_erasures_md(r, f), gs_report_erasures_html(r, f): the
 * "Departed tenants" section.  0 or -1 (out of memory, warned). */
int gs_report_erasures_md(const struct gs_report *r, FILE *f);
int gs_report_erasures_html(const struct gs_report *r, FILE *f);
/* gs_report_erasures_json(r, f): the section as the member ,"erasures":[...]
 * of the report's object.  0 or -1 (warned). */
int gs_report_erasures_json(const struct gs_report *r, FILE *f);

/* ---- out_util.c: what the writers share ---- */

/* gs_rout_text(s): s made safe for any output (gs_quote: controls, bidi
 * controls and bytes that are not UTF-8 as \ooo), malloc'd, or NULL. */
char *gs_rout_text(const char *s);
/* gs_rout_html(f, s): s (may be NULL: nothing) HTML-escaped after
 * gs_rout_text. */
void gs_rout_html(FILE *f, const char *s);
/* gs_rout_bytes(v, out, cap): v bytes as "1.5 GiB" (binary units). */
char *gs_rout_bytes(uint64_t v, char *out, size_t cap);
/* gs_rout_day(day, out): day (days since the epoch) as YYYY-MM-DD. */
void gs_rout_day(int64_t day, char out[11]);
/* gs_rout_outcome(o): "ok", "warning", "failed", "acknowledged", "no run", "-". */
const char *gs_rout_outcome(int o);
/* gs_rout_gap(kind): the gap kind's name ("log", "missing-night", ...). */
const char *gs_rout_gap(enum gs_gap_kind kind);
/* gs_rout_vresult(l): the log's verification in a word or two. */
const char *gs_rout_vresult(const struct gs_rlog *l);
/* gs_rout_result(it): the record's result word (its "result", else from
 * its status), and " (acknowledged)" is not added: see it->ack_seq. */
const char *gs_rout_result(const struct gs_ritem *it);
/* gs_rout_u64(it, key): a non-negative integer field, or 0. */
uint64_t gs_rout_u64(const struct gs_ritem *it, const char *key);
/* gs_rout_u64_or(it, key, alt): gs_rout_u64 of key when it is there,
 * else of alt (a restore test's files_checked, else files). */
uint64_t gs_rout_u64_or(const struct gs_ritem *it, const char *key, const char *alt);
/* gs_rout_dbl(it, key, ret): 1 and *ret when key is a number, else 0. */
int gs_rout_dbl(const struct gs_ritem *it, const char *key, double *ret);
/* gs_rout_throughput(it, ret): a restore test's bytes per second: its
 * "throughput_mib_s" (in MiB/s), "throughput", "throughput_bps" or
 * "bytes_per_s", else bytes_checked (or bytes) over duration_s.  1 and
 * *ret, or 0 when unknown. */
int gs_rout_throughput(const struct gs_ritem *it, double *ret);
/* gs_rout_period(r, since, until): the period's first and last day. */
void gs_rout_period(const struct gs_report *r, char since[11], char until[11]);

#endif
