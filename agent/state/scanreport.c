/*
 * scanreport.c -- state_dir/<tenant>.scan, the last backup's scan report.
 *
 *   snapshot <32 hex>\n          the snapshot that backup made
 *   <one line per note>\n         a source file that vanished, changed or
 *                                 could not be read, as backup warned it
 *
 * backup writes it after publishing the snapshot; verify's volume parity
 * reads which snapshot the last backup made, and lists the notes when that
 * snapshot's parity needs them.  Losing it loses only those names, so
 * writing is best effort.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geosnap/format.h"
#include "geosnap/layout.h"
#include "geosnap/state.h"
#include "geosnap/util.h"

/* A scan report larger than this is refused, not read. */
#define SCAN_REPORT_MAX (16u << 20)
/* "snapshot " */
#define HEAD_WORD "snapshot "
#define HEAD_WORD_LEN (sizeof(HEAD_WORD) - 1)

/*
 * gs_state_scan_write(state_dir, tenant, snap, notes, len): replace the
 * tenant's scan report with one for snapshot snap holding len bytes of
 * notes (lines, each ending in a newline).  Best effort: a failure is
 * warned and otherwise ignored.
 */
void
gs_state_scan_write(const char *state_dir, const char *tenant, const char *snap, const void *notes,
                    size_t len)
{
	char *path = gs_state_path(state_dir, GS_STATE_SCAN_REPORT, tenant, NULL);
	struct gs_buf b = {0};

	gs_buf_put(&b, HEAD_WORD, HEAD_WORD_LEN);
	gs_buf_put(&b, snap, strlen(snap));
	gs_buf_u8(&b, '\n');
	gs_buf_put(&b, notes, len);
	if (path != NULL && !b.oom)
		gs_write_file_replace(path, b.p, b.len, 0600, 0);
	gs_buf_clear(&b);
	free(path);
}

/*
 * read_report(state_dir, tenant, ret_path, ret_text, ret_len): the report
 * as a NUL-terminated malloc'd text; 0, 1 when there is none, -1 when it
 * cannot be read (warned).  *ret_path is malloc'd in every case but -1.
 */
static int
read_report(const char *state_dir, const char *tenant, char **ret_path, char **ret_text,
            size_t *ret_len)
{
	char *path = gs_state_path(state_dir, GS_STATE_SCAN_REPORT, tenant, NULL);
	uint8_t *buf;
	size_t len;
	int rc;

	if (path == NULL)
		return -1;
	if ((rc = gs_read_file(path, SCAN_REPORT_MAX, &buf, &len)) != 0) {
		free(path);
		return rc;
	}
	/* gs_read_file leaves room for a terminator */
	buf[len] = '\0';
	*ret_path = path;
	*ret_text = (char *)buf;
	*ret_len = len;
	return 0;
}

/*
 * gs_state_scan_snapshot(state_dir, tenant, ret): the snapshot the last
 * backup made, from the report's first line.  0 with ret filled; 1 when
 * there is no report or no such line (warned when the file is there but
 * malformed); -1 when it cannot be read (warned).
 */
int
gs_state_scan_snapshot(const char *state_dir, const char *tenant, char ret[GS_NAME_HEX])
{
	char *path = NULL, *text;
	size_t len;
	int rc;

	if ((rc = read_report(state_dir, tenant, &path, &text, &len)) != 0)
		return rc;
	rc = 1;
	if (len >= HEAD_WORD_LEN + GS_NAME_HEX && memcmp(text, HEAD_WORD, HEAD_WORD_LEN) == 0 &&
	    text[HEAD_WORD_LEN + GS_NAME_HEX - 1] == '\n') {
		memcpy(ret, text + HEAD_WORD_LEN, GS_NAME_HEX - 1);
		ret[GS_NAME_HEX - 1] = '\0';
		if (gs_layout_is_objname(ret))
			rc = 0;
	}
	if (rc != 0)
		gs_warn("%s: the first line is not \"snapshot ID\"", path);
	free(text);
	free(path);
	return rc;
}

/*
 * gs_state_scan_notes(state_dir, tenant, snap): the notes of the tenant's
 * scan report, as one malloc'd text of newline-ended lines ("" when there
 * are none), when the report is that of snapshot snap; NULL when there is
 * no report, it is another snapshot's, or it cannot be read.
 */
char *
gs_state_scan_notes(const char *state_dir, const char *tenant, const char *snap)
{
	char *path = NULL, *text, *notes = NULL;
	char head[HEAD_WORD_LEN + GS_NAME_HEX + 1];
	size_t len, hl;

	if (read_report(state_dir, tenant, &path, &text, &len) != 0)
		return NULL;
	hl = (size_t)snprintf(head, sizeof(head), HEAD_WORD "%s\n", snap);
	if (hl < sizeof(head) && len >= hl && memcmp(text, head, hl) == 0)
		notes = gs_strdup(text + hl);
	free(text);
	free(path);
	return notes;
}
