#include <stdio.h>

#include "cort/cort.h"

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("cort %s\n", cort_version());
    return 0;
}
