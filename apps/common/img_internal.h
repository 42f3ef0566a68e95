/* Helpers shared by the image library's own files (not part of its API). */
#ifndef CORT_APPS_IMG_INTERNAL_H
#define CORT_APPS_IMG_INTERNAL_H

#include "img.h"

/** The four Catmull-Rom weights for taps at offsets -1, 0, 1, 2 from a sample t in [0, 1) past
 *  the second tap; they sum to 1. */
void img_cubic_weights(double t, double w[4]);

/** 1 if the image has pixels and sides in range. */
int img_valid(const img *im);

#endif /* CORT_APPS_IMG_INTERNAL_H */
