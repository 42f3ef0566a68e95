/*
 * Frame sources for `cort-face video`: the PNG (or JPEG) files of a folder in name order, or a
 * YUV4MPEG2 (.y4m) stream in 4:2:0 (C420jpeg, C420paldv, C420mpeg2, C420), 4:2:2, 4:4:4 or mono.
 * Stand-ins for a camera that need no capture library.
 */
#ifndef CORT_APPS_FACE_FRAMES_H
#define CORT_APPS_FACE_FRAMES_H

#include <stddef.h>

#include "img.h"

typedef struct frame_source frame_source;

/** Opens a folder or a .y4m file. */
int frames_open(const char *path, frame_source **out, char *err, size_t errlen);
/** Reads the next frame into *im (reallocated as needed): 1 for a frame, 0 at the end, -1 on error. */
int frames_next(frame_source *s, img *im, char *err, size_t errlen);
/** Starts again from the first frame. */
int frames_rewind(frame_source *s, char *err, size_t errlen);
void frames_close(frame_source *s);

/** Converts one limited-range (or full-range) BT.601 Y'CbCr sample to RGB. */
void frames_ycbcr_to_rgb(int y, int cb, int cr, int full_range, unsigned char rgb[3]);

#endif
