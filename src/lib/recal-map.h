/*
 * recal-map.h - private: the fitted recalibration map (calib_model) and
 * applying it to one row (recal-map.c).  The reader (row.c) applies maps
 * while reading, the fitters (recal.c) build them and model.c reads and
 * writes them; recal-map.c itself depends on none of these, so the row
 * arithmetic and the fitting no longer need each other.
 */
#ifndef CALIB_RECAL_MAP_H
#define CALIB_RECAL_MAP_H

#include "calib.h"

/*
 * The fitted map.  Binning maps (histogram, isotonic) are step functions:
 * nsteps values, and for everything but equal-width histograms the upper
 * edge of each step.  A step with weight 0 leaves its scores unchanged.
 */
struct calib_model {
	calib_method method;
	int k;
	char **class_names;
	char *source;           /* where it was parsed from, for messages */
	double temperature;
	double *w, *b;          /* vector scaling, k each */
	double pa, pb, pc;      /* platt (a, b), beta (a, b, c) */
	calib_binning binning;  /* histogram */
	int nsteps;
	double *edge;           /* NULL for equal-width bins */
	double *value;
	double *weight;
};

/* Allocation helpers shared by fitting and parsing. */
calib_model *ci_model_new(calib_method method, int k,
    char *const *class_names);
int ci_model_alloc_steps(calib_model *m, int nsteps, int with_edges);
/* ci_model_check_classes() is in internal.h: the readers check a
 * --calibrate model without needing its insides. */

/* 1 when the model maps logits to logits (temperature, vector, platt,
 * beta), 0 when it maps probabilities to probabilities. */
int ci_model_maps_logits(const calib_model *m);
/* Logit maps: z[0..k) in place. */
void ci_model_logits(const calib_model *m, double *z);
/* Probability maps: p = softmax(z) in place; top is its argmax. */
void ci_model_probs(const calib_model *m, double *p, int top);
/* The score s_i the binning maps see: P(class 1) for K = 2, else p[top]. */
double ci_model_score(int k, const double *p, int top);
/* ln sigma(t), without overflow or cancellation for either sign of t
 * (the beta map, and its fit). */
double ci_log_sigmoid(double t);
/* The logit t of P(class 1) of a binary row, clipped as documented. */
double ci_binary_logit(const double *z);
/*
 * z_i / T for every logit: temperature scaling, also the reader's
 * --temperature.  When that overflows for some finite z_i (a tiny T), the
 * logits are shifted first, (z_i - max z) / T, which has the same softmax
 * and stays finite at the top (0) instead of making inf - inf.
 */
void ci_divide_logits(double *z, int k, double T);

#endif
