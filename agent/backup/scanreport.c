/*
 * scanreport.c -- the notes a backup keeps on source files that vanished,
 * changed or could not be read, and the scan report it leaves for verify
 * (state_dir/<tenant>.scan; its format is in agent/state/scanreport.c, and
 * volume parity reads it, agent/backup/volume.c).  Locking: gs_bk_scan_note() is
 * called from the walker and the workers and takes c->notes_mu, which
 * guards c->notes and nothing else; gs_bk_scanreport_write() runs on the
 * main thread after the threads stop.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/state.h"
#include "backup_internal.h"

/* Longest note kept (longer ones are cut). */
#define NOTE_MAX 1024

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

/* gs_bk_scanreport_write(cfg, tenant, snap, notes): the tenant's scan
 * report for snapshot snap (gs_state_scan_write: its name and format are
 * state_dir's).  Failures are warned, not returned: losing it loses only
 * the names verify lists. */
void
gs_bk_scanreport_write(const struct gs_config *cfg, const char *tenant, const char *snap,
                       const struct gs_buf *notes)
{
	gs_state_scan_write(cfg->state_dir, tenant, snap, notes->p, notes->len);
}
