/*
 * disk.h -- what a restore does on the disk beside archive_write_disk
 * (extract.c): paths are relative to the current directory, the target,
 * and no symlink in them is followed.
 */
#ifndef GEOSNAP_DISK_H
#define GEOSNAP_DISK_H

#include <sys/stat.h>
#include <time.h>

#include "geosnap/format.h"

/*
 * gs_disk_utimens(path, ts): set the times of path (relative to the current
 * directory) without following a symlink in any component.  0 or -1
 * (errno set).
 */
int gs_disk_utimens(const char *path, const struct timespec ts[2]);

/*
 * gs_disk_prune_xattrs(e, before): e has just been written over the object
 * that was at its path before (before: its lstat).  When that object was
 * kept in place, remove the xattrs e does not have (user.*, trusted.* and
 * security.* but the kernel's labels; not system.*, which the ACL restore
 * owns), without following a symlink.  Returns 0, or 1 when something
 * could not be checked or removed (warned, naming e).
 */
int gs_disk_prune_xattrs(const struct gs_mentry *e, const struct stat *before);

/*
 * gs_disk_discard(path): remove the file just written at path because its
 * content is not exact, so that nothing is left looking restored; named on
 * stderr (or that it could not be removed).
 */
void gs_disk_discard(const char *path);

#endif
