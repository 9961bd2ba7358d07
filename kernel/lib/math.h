/* math.h: single-precision math for the kernel and the inference engine.
 * Results are within 1 ulp of glibc over the whole float range; sqrtf and the
 * rounding functions are exact. inf, nan, signed zeros and denormals follow
 * IEEE 754 as glibc does. */
#ifndef LIB_MATH_H
#define LIB_MATH_H

#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))

float expf(float x);
float logf(float x);
float sqrtf(float x);
float powf(float x, float y);
float tanhf(float x);
float floorf(float x);
float ceilf(float x);
float roundf(float x);
float fabsf(float x);
float sinf(float x);
float cosf(float x);

#endif
