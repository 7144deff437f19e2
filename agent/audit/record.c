/*
 * record.c -- building one audit record: the event's own fields as JSON
 * members, and the record of a step (struct gs_step).  The common fields,
 * the chain and the signature are added by gs_audit_write (log.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/audit.h"
#include "geosnap/util.h"

/* gs_step_result(status): "ok", "problem", "usage", "failed" or "warnings". */
const char *
gs_step_result(int status)
{
	switch (status) {
	case GS_EXIT_OK:
		return "ok";
	case GS_EXIT_PROBLEM:
		return "problem";
	case GS_EXIT_USAGE:
		return "usage";
	case GS_EXIT_WARN:
		return "warnings";
	default:
		return "failed";
	}
}

/* gs_audit_conf_of(c, ret): the audit settings of a loaded config. */
void
gs_audit_conf_of(const struct gs_config *c, struct gs_audit_conf *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->log = c->audit_log;
	ret->key = c->audit_key;
	ret->host = c->host;
	ret->syslog = c->audit_syslog;
}

/* gs_audit_rec_init(r, event): start a record of event.  0 or -1. */
int
gs_audit_rec_init(struct gs_audit_rec *r, const char *event)
{
	memset(r, 0, sizeof(*r));
	r->event = event;
	if ((r->m = open_memstream(&r->buf, &r->len)) == NULL) {
		gs_warnp("open_memstream");
		return -1;
	}
	return 0;
}

/* gs_audit_rec_str(r, key, v): a string field (NULL: null). */
void
gs_audit_rec_str(struct gs_audit_rec *r, const char *key, const char *v)
{
	if (r->m == NULL)
		return;
	fprintf(r->m, ",\"%s\":", key);
	if (v != NULL)
		gs_json_str(r->m, v);
	else
		fputs("null", r->m);
}

/* gs_audit_rec_int(r, key, v): a signed integer field. */
void
gs_audit_rec_int(struct gs_audit_rec *r, const char *key, int64_t v)
{
	if (r->m != NULL)
		fprintf(r->m, ",\"%s\":%lld", key, (long long)v);
}

/* gs_audit_rec_u64(r, key, v): an unsigned integer field. */
void
gs_audit_rec_u64(struct gs_audit_rec *r, const char *key, uint64_t v)
{
	if (r->m != NULL)
		fprintf(r->m, ",\"%s\":%llu", key, (unsigned long long)v);
}

/* gs_audit_rec_dbl(r, key, v, decimals): a number with that many decimals. */
void
gs_audit_rec_dbl(struct gs_audit_rec *r, const char *key, double v, int decimals)
{
	if (r->m != NULL)
		fprintf(r->m, ",\"%s\":%.*f", key, decimals, v);
}

/* gs_audit_rec_raw(r, key, json): a field whose value is already JSON. */
void
gs_audit_rec_raw(struct gs_audit_rec *r, const char *key, const char *json)
{
	if (r->m != NULL)
		fprintf(r->m, ",\"%s\":%s", key, json);
}

/* gs_audit_rec_clear(r): free it (after append, or to give up). */
void
gs_audit_rec_clear(struct gs_audit_rec *r)
{
	if (r->m != NULL)
		fclose(r->m);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/*
 * gs_audit_append(c, s): one record for a step (event s->step, the fields
 * of struct gs_step, docs/AUDIT.md) through gs_audit_write; same returns.
 */
int
gs_audit_append(const struct gs_audit_conf *c, const struct gs_step *s)
{
	struct gs_audit_rec r;

	if (c->log == NULL)
		return 0;
	if (gs_audit_rec_init(&r, s->step))
		return -1;
	r.time_ns = s->start_ns;
	gs_audit_rec_str(&r, "tenant", s->tenant);
	gs_audit_rec_str(&r, "remote", s->remote);
	gs_audit_rec_int(&r, "status", s->status);
	gs_audit_rec_str(&r, "result", gs_step_result(s->status));
	gs_audit_rec_dbl(&r, "duration_s", (double)s->duration_ns / 1e9, 3);
	gs_audit_rec_u64(&r, "files", s->files);
	gs_audit_rec_u64(&r, "bytes", s->bytes);
	gs_audit_rec_u64(&r, "new_bytes", s->new_bytes);
	gs_audit_rec_str(&r, "snapshot", s->snapshot);
	gs_audit_rec_str(&r, "message", s->message);
	if (s->action != NULL) {
		gs_audit_rec_str(&r, "object", s->object);
		gs_audit_rec_str(&r, "action", s->action);
		gs_audit_rec_str(&r, "to", s->to);
		gs_audit_rec_str(&r, "reason", s->reason);
	}
	return gs_audit_write(c, &r);
}
