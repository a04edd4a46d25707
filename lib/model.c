/*
 * model: Holt and Holt-Winters on a parameter grid, and the Monte Carlo
 * of deals.  The trend models work in doubles (a forecast is an estimate;
 * forecast(1) rounds it to the cent once, at the end); the simulation sums
 * exact minor units.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MC_THREADS 16

#include "salespipe/model.h"

int
sp_trend_run(const double *y, size_t n, int season, double a, double b,
    double g, sp_trend *t, sp_error *e)
{
	double l, s[SP_SEASON_MAX], m1 = 0, m2 = 0, f, err, nl;
	size_t i, m = (size_t)season;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->alpha = a;
	t->beta = b;
	if (season == 0) {
		if (n < 3)
			return sp_err_set(e, NULL, "Holt's trend needs at least 3 "
			    "buckets, not %zu", n);
		t->model = SP_TREND_HOLT;
		l = y[1];
		t->slope = y[1] - y[0];
		for (i = 2; i < n; i++) {
			f = l + t->slope;
			err = y[i] - f;
			t->sse += err * err;
			t->nerr++;
			nl = a * y[i] + (1 - a) * (l + t->slope);
			t->slope = b * (nl - l) + (1 - b) * t->slope;
			l = nl;
		}
		t->level = l;
		return 0;
	}
	if (season < 2 || season > SP_SEASON_MAX)
		return sp_err_set(e, NULL, "a season of %d buckets (2 to %d)",
		    season, SP_SEASON_MAX);
	if (n < 2 * m)
		return sp_err_set(e, NULL, "Holt-Winters needs two seasons (%zu "
		    "buckets), not %zu", 2 * m, n);
	t->model = SP_TREND_HW;
	t->season = season;
	t->gamma = g;
	for (i = 0; i < m; i++) {
		m1 += y[i];
		m2 += y[m + i];
	}
	m1 /= (double)m;
	m2 /= (double)m;
	l = m1;
	t->slope = (m2 - m1) / (double)m;
	for (i = 0; i < m; i++)
		s[i] = y[i] - l;
	/* s[i % m] holds s_{t-m} when t = i (mod m) */
	for (i = m; i < n; i++) {
		double old = s[i % m];
		f = l + t->slope + old;
		err = y[i] - f;
		t->sse += err * err;
		t->nerr++;
		nl = a * (y[i] - old) + (1 - a) * (l + t->slope);
		t->slope = b * (nl - l) + (1 - b) * t->slope;
		l = nl;
		s[i % m] = g * (y[i] - l) + (1 - g) * old;
	}
	t->level = l;
	/* the last m seasonal values, oldest first: s_{n-m} .. s_{n-1} */
	for (i = 0; i < m; i++)
		t->seasonal[i] = s[(n - m + i) % m];
	return 0;
}

int
sp_trend_fit(const double *y, size_t n, int season, sp_trend *t,
    sp_error *e)
{
	sp_trend cur;
	int i, j, k, kmax, hw = season >= 2 && n >= 2 * (size_t)season;
	int first = 1;

	kmax = hw ? 19 : 1;
	for (i = 1; i <= 19; i++)
		for (j = 1; j <= 19; j++)
			for (k = 1; k <= kmax; k++) {
				if (sp_trend_run(y, n, hw ? season : 0, i * 0.05,
				    j * 0.05, hw ? k * 0.05 : 0, &cur, e) < 0)
					return -1;
				if (first || cur.sse < t->sse) {
					*t = cur;
					first = 0;
				}
			}
	return 0;
}

double
sp_trend_forecast(const sp_trend *t, int h, double *lo, double *hi)
{
	double f = t->level + h * t->slope, c = 1, sigma, w;
	int j;

	if (t->model == SP_TREND_HW)
		/* the bucket h after the last one: its place in the season */
		f += t->seasonal[(size_t)(h - 1) % (size_t)t->season];
	for (j = 1; j < h; j++) {
		double psi = t->alpha + j * t->alpha * t->beta;
		if (t->model == SP_TREND_HW && j % t->season == 0)
			psi += t->gamma * (1 - t->alpha);
		c += psi * psi;
	}
	sigma = t->nerr > 0 ? sqrt(t->sse / (double)t->nerr) : 0;
	w = 1.2816 * sigma * sqrt(c);
	*lo = f - w;
	*hi = f + w;
	return f;
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
sp_rng_seed(sp_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* One step of xoshiro256** on the four words at s. */
static inline uint64_t
step(uint64_t *s)
{
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t
sp_rng_next(sp_rng *r)
{
	return step(r->s);
}

uint32_t
sp_prob_threshold(double p)
{
	if (!(p > 0))
		return 0;
	if (p >= 1)
		return 65536;
	return (uint32_t)llround(p * 65536.0);
}

/* Trials come in blocks, each with its own streams: the totals do not
 * depend on how many threads share the blocks out. */
#define MC_BLOCK 4096

struct mc_job {
	const int64_t *amount;
	const uint32_t *threshold;
	size_t n, trials, nthreads, tid;
	int64_t base;
	uint64_t seed;
	int64_t *out;
	int failed;
};

static void *
mc_run(void *arg)
{
	struct mc_job *jb = arg;
	size_t words = (jb->n + 15) / 16 * 4, b, i, j, k;
	uint16_t *u = calloc(words * 4 + 1, sizeof(*u));

	if (u == NULL) {
		jb->failed = 1;
		return NULL;
	}
	for (b = jb->tid; b * MC_BLOCK < jb->trials; b += jb->nthreads) {
		/* splitmix64 steps by its constant: 16 steps a block keep
		   the blocks' words apart */
		uint64_t st[4][4], x = jb->seed + 16 * b *
		    0x9e3779b97f4a7c15ULL;
		size_t end = (b + 1) * MC_BLOCK < jb->trials ?
		    (b + 1) * MC_BLOCK : jb->trials;

		/* four xoshiro256** streams, their 16 words from splitmix64 */
		for (j = 0; j < 4; j++)
			for (i = 0; i < 4; i++)
				st[j][i] = splitmix64(&x);
		for (k = b * MC_BLOCK; k < end; k++) {
			int64_t total = jb->base;
			for (i = 0; i < words; i += 4)
				for (j = 0; j < 4; j++) {
					/* low 16 bits first, any byte order */
					uint64_t w = step(st[j]);
					u[4 * (i + j)] = (uint16_t)w;
					u[4 * (i + j) + 1] = (uint16_t)(w >> 16);
					u[4 * (i + j) + 2] = (uint16_t)(w >> 32);
					u[4 * (i + j) + 3] = (uint16_t)(w >> 48);
				}
			/* branch-free: a mispredicted branch per deal costs
			   more than all the rest */
			for (i = 0; i < jb->n; i++)
				total += jb->amount[i] &
				    -(int64_t)(u[i] < jb->threshold[i]);
			jb->out[k] = total;
		}
	}
	free(u);
	return NULL;
}

int
sp_montecarlo(const int64_t *amount, const uint32_t *threshold, size_t n,
    int64_t base, size_t trials, uint64_t seed, int64_t *out, sp_error *e)
{
	struct mc_job jobs[MC_THREADS];
	pthread_t th[MC_THREADS];
	size_t i, nt, started = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t bound = base < 0 ? -base : base;
	int failed = 0;

	/* no total can overflow when the sum of every |amount| fits */
	for (i = 0; i < n; i++)
		if (amount[i] == INT64_MIN || base == INT64_MIN ||
		    __builtin_add_overflow(bound, amount[i] < 0 ? -amount[i] :
		    amount[i], &bound))
			return sp_err_set(e, "amount", "the open amounts overflow "
			    "a total");
	nt = cpus > 1 ? (size_t)cpus : 1;
	if (nt > MC_THREADS)
		nt = MC_THREADS;
	if (nt > (trials + MC_BLOCK - 1) / MC_BLOCK)
		nt = (trials + MC_BLOCK - 1) / MC_BLOCK;
	if (nt == 0)
		nt = 1;
	for (i = 0; i < nt; i++) {
		jobs[i] = (struct mc_job){ amount, threshold, n, trials, nt, i,
		    base, seed, out, 0 };
		if (i > 0 && pthread_create(&th[i], NULL, mc_run, &jobs[i]) ==
		    0)
			started |= (size_t)1 << i;
	}
	/* this thread takes the first share, and any that did not start */
	mc_run(&jobs[0]);
	for (i = 1; i < nt; i++) {
		if (started & ((size_t)1 << i))
			pthread_join(th[i], NULL);
		else
			mc_run(&jobs[i]);
		failed |= jobs[i].failed;
	}
	if (failed || jobs[0].failed)
		return sp_err_set(e, NULL, "out of memory");
	return 0;
}
