/*
 * scanreport.c -- the notes a backup keeps on source files that vanished,
 * changed or could not be read, and the scan report it leaves for verify:
 *
 *   state_dir/<tenant>.scan:  "snapshot <ID>\n" then one note a line
 *
 * (verify reads it, agent/repo/verify.c).  Locking: gs_bk_scan_note() is
 * called from the walker and the workers and takes c->notes_mu, which
 * guards c->notes and nothing else; gs_bk_scanreport_write() runs on the
 * main thread after the threads stop.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_internal.h"

/* Longest note kept (longer ones are cut). */
#define NOTE_MAX 1024
/* Mode of the report: private, as every state file. */
#define SCAN_MODE 0600

/* gs_bk_scan_note(c, fmt, ...): warn about a source file ("tenant T: ...")
 * and keep the line for the scan report.  Any thread (takes notes_mu). */
void
gs_bk_scan_note(struct ctx *c, const char *fmt, ...)
{
	char msg[NOTE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	gs_warn("tenant %s: %s", c->t->name, msg);
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	pthread_mutex_lock(&c->notes_mu);
	gs_buf_put(&c->notes, msg, strlen(msg));
	gs_buf_u8(&c->notes, '\n');
	pthread_mutex_unlock(&c->notes_mu);
}

/* gs_bk_scanreport_write(cfg, tenant, snap, notes): replace
 * state_dir/<tenant>.scan with "snapshot SNAP" and the notes.  Failures
 * are warned, not returned: losing it loses only the names verify lists. */
void
gs_bk_scanreport_write(const struct gs_config *cfg, const char *tenant, const char *snap,
                       const struct gs_buf *notes)
{
	struct gs_buf b = {0};
	char *path = gs_asprintf("%s/%s.scan", cfg->state_dir, tenant);
	char head[64];
	int n = snprintf(head, sizeof(head), "snapshot %s\n", snap);

	gs_buf_put(&b, head, (size_t)n);
	gs_buf_put(&b, notes->p, notes->len);
	if (path != NULL && !b.oom)
		gs_write_file_replace(path, b.p, b.len, SCAN_MODE, 0);
	gs_buf_free(&b);
	free(path);
}
