/*
 * progress.c -- the progress bar of restore, export and check.
 */
#include <stdio.h>

#include "geosnap/util.h"
#include "geosnap/progress.h"

#define REDRAW_NS 200000000LL

static void
human(char *out, size_t cap, double v)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	unsigned u = 0;

	while (v >= 1024.0 && u < 5) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%.0f %s", v, unit[u]);
	else
		snprintf(out, cap, "%.1f %s", v, unit[u]);
}

static void
draw(struct gs_progress *p, int64_t now)
{
	char done[32], total[32], rate[32], eta[32] = "";
	double secs = (double)(now - p->start_ns) / 1e9;
	double bps = secs > 0.05 ? (double)p->bytes / secs : 0.0;
	uint64_t left;

	human(done, sizeof(done), (double)p->bytes);
	human(rate, sizeof(rate), bps);
	if (p->total_bytes > 0 && bps > 0.0 && p->bytes <= p->total_bytes) {
		left = (uint64_t)((double)(p->total_bytes - p->bytes) / bps);
		snprintf(eta, sizeof(eta), "  ETA %llu:%02llu:%02llu",
		         (unsigned long long)(left / 3600), (unsigned long long)(left / 60 % 60),
		         (unsigned long long)(left % 60));
	}
	if (p->total_bytes > 0) {
		human(total, sizeof(total), (double)p->total_bytes);
		fprintf(stderr, "\r%s / %s  %llu/%llu files  %s/s%s\033[K", done, total,
		        (unsigned long long)p->files, (unsigned long long)p->total_files, rate,
		        eta);
	} else {
		fprintf(stderr, "\r%s  %llu files  %s/s\033[K", done, (unsigned long long)p->files,
		        rate);
	}
	fflush(stderr);
	p->drawn = 1;
	p->last_ns = now;
}

/* gs_progress_init(p, on, total_bytes, total_files): start the clock. */
void
gs_progress_init(struct gs_progress *p, int on, uint64_t total_bytes, uint64_t total_files)
{
	p->on = on;
	p->total_bytes = total_bytes;
	p->total_files = total_files;
	p->bytes = p->files = 0;
	p->start_ns = p->last_ns = gs_mono_ns();
	p->first_ns = 0;
	p->drawn = 0;
}

/* gs_progress_add(p, bytes, files): count work done; redraw if due. */
void
gs_progress_add(struct gs_progress *p, uint64_t bytes, uint64_t files)
{
	int64_t now;

	if (bytes > 0 && p->first_ns == 0)
		p->first_ns = gs_mono_ns();
	p->bytes += bytes;
	p->files += files;
	if (!p->on)
		return;
	now = gs_mono_ns();
	if (now - p->last_ns >= REDRAW_NS)
		draw(p, now);
}

/* gs_progress_done(p): draw the final state and end the line. */
void
gs_progress_done(struct gs_progress *p)
{
	if (!p->on || !p->drawn)
		return;
	draw(p, gs_mono_ns());
	fputc('\n', stderr);
}
