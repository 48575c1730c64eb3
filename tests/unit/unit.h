/*
 * unit.h: the main() every Check unit test shares.  Results are written
 * as TAP on stdout (one line per test case), which Automake's
 * tap-driver counts case by case; the exit status is the number of
 * failures, capped.
 */
#ifndef AICLIENT_UNIT_H
#define AICLIENT_UNIT_H

#include <check.h>
#include <stdlib.h>

#define UNIT_MAIN(suite_fn)						\
int									\
main(void)								\
{									\
	SRunner *sr;							\
	int failed;							\
									\
	sr = srunner_create(suite_fn());				\
	srunner_set_tap(sr, "-");					\
	srunner_run_all(sr, CK_SILENT);					\
	failed = srunner_ntests_failed(sr);				\
	srunner_free(sr);						\
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;		\
}

#endif
