/* Built against an installed cort: loads a model and prints its first input's name. */
#include <stdio.h>

#include <cort/cort.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    cort_session *s = NULL;
    cort_status *st = cort_session_create(NULL, argv[1], NULL, &s);
    if (st) {
        fprintf(stderr, "%s\n", cort_status_message(st));
        cort_status_free(st);
        return 1;
    }
    cort_io_info info;
    st = cort_session_input_info(s, 0, &info);
    if (!st) printf("cort %s: input '%s'\n", cort_version(), info.name);
    cort_status_free(st);
    cort_session_free(s);
    return 0;
}
