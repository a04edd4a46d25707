/*
 * fuzz_stages: sp_stages_parse on an inline list (name[:kind[:probability[:
 * category]]],...).  A parsed list is well formed, sp_stages_find finds each
 * stage by its name in any case and with blanks around, and the known
 * list names them all in order.
 */
#include <ctype.h>
#include <strings.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "salespipe/stage.h"

/* The checks fuzz_stagefile shares (a copy: one file per target). */
#include "stages_check.h"
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stat sb;
	sp_stages *st;
	sp_error e;
	char *s;

	if (size > 4096)
		return 0;
	s = fuzz_cstr(data, size);
	/* a spec naming an existing file is a stage file: fuzz_stagefile */
	if (stat(s, &sb) == 0) {
		free(s);
		return 0;
	}
	sp_err_clear(&e);
	if ((st = sp_stages_parse(s, &e)) != NULL) {
		check_stages(st, s, strlen(s));
		sp_stages_free(st);
	} else
		FUZZ_CHECK(e.msg[0] != '\0');
	free(s);
	return 0;
}
