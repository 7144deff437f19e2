/*
 * pass.h -- reading the read-key passphrase: from the file named by
 * $GEOSNAP_PASSPHRASE_FILE (first line; the file must not be accessible by
 * group or others), else from the controlling terminal with echo off.
 */
#ifndef GEOSNAP_PASS_H
#define GEOSNAP_PASS_H

#include <stddef.h>

#define GS_PASS_MAX 1024

/*
 * gs_pass_get(prompt, confirm, ret_len): the passphrase in sodium_malloc'd
 * memory, NUL-terminated, its length in *ret_len.  With confirm (keygen) a
 * terminal user types it twice.  Returns NULL (warned) when there is no
 * file and no terminal, the file is unsafe or unreadable, the passphrase is
 * empty or longer than GS_PASS_MAX, or the two entries differ.
 */
char *gs_pass_get(const char *prompt, int confirm, size_t *ret_len);

/* gs_pass_free(p): wipe and free (NULL accepted). */
void gs_pass_free(char *p);

#endif
