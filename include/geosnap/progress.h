/*
 * progress.h -- a one-line progress bar on stderr (bytes, files, rate, ETA),
 * drawn at most five times a second and only when enabled (the caller
 * enables it when stderr is a terminal and -q was not given).
 */
#ifndef GEOSNAP_PROGRESS_H
#define GEOSNAP_PROGRESS_H

#include <stdint.h>

struct gs_progress {
	int on;
	uint64_t total_bytes, total_files; /* 0 = unknown */
	uint64_t bytes, files;
	int64_t start_ns, last_ns;
	int64_t first_ns; /* gs_mono_ns() when the first byte was counted, 0 before */
	int drawn;
};

/* gs_progress_init(p, on, total_bytes, total_files): start the clock. */
void gs_progress_init(struct gs_progress *p, int on, uint64_t total_bytes, uint64_t total_files);
/* gs_progress_add(p, bytes, files): count work done; redraw if due. */
void gs_progress_add(struct gs_progress *p, uint64_t bytes, uint64_t files);
/* gs_progress_done(p): draw the final state and end the line. */
void gs_progress_done(struct gs_progress *p);

#endif
