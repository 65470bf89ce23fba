/* devices/rtc.c — CMOS RTC model. See rtc.h for the contract. */
#include "devices/rtc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "util/log.h"

#define CMOS_SIZE 128

enum {
	REG_SEC = 0x00,
	REG_SEC_ALARM = 0x01,
	REG_MIN = 0x02,
	REG_MIN_ALARM = 0x03,
	REG_HOUR = 0x04,
	REG_HOUR_ALARM = 0x05,
	REG_WDAY = 0x06,
	REG_MDAY = 0x07,
	REG_MON = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32,
};

#define A_UIP 0x80
#define A_DV_MASK 0x70
#define A_DV_RESET 0x60 /* DV = 11x: divider chain held in reset */
#define A_DEFAULT 0x26  /* 32.768 kHz time base, 1024 Hz periodic rate */

#define B_SET 0x80
#define B_UIE 0x10
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define B_DEFAULT B_24H /* BCD, 24-hour, as PC firmware leaves it */

#define D_VRT 0x80

#define HOUR_PM 0x80
#define UIP_WINDOW_NS 244000 /* UIP is high this long before each update */

/* Broken-down guest time, binary, 24-hour. A field a guest wrote in an
 * invalid encoding holds -1 until rewritten. */
struct rtc_tm {
	int sec, min, hour, wday; /* wday 1-7, Sunday = 1 */
	int mday, mon;            /* 1-31, 1-12 */
	int year_lo, century;     /* 0-99 each: year = century * 100 + year_lo */
};

struct rtc {
	pthread_mutex_t lock;
	struct rtc_config cfg;
	uint8_t index;
	uint8_t cmos[CMOS_SIZE]; /* clock bytes are not stored here */
	int64_t offset_s;        /* guest clock - host clock */
	struct rtc_tm frozen;    /* the clock as seen/written while SET is on */
	struct log_ratelimit rl; /* per device, used under lock */
};

/* ---- time conversion ---- */

static struct timespec host_now(const struct rtc *rtc)
{
	struct timespec ts;

	if (rtc->cfg.clock)
		rtc->cfg.clock(rtc->cfg.clock_ctx, &ts);
	else
		clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 0;
	return ts;
}

static void tm_from_seconds(int64_t t, struct rtc_tm *out)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm)) {
		/* Unreachable with the offsets we accept; keep the result defined. */
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	out->sec = tm.tm_sec > 59 ? 59 : tm.tm_sec;
	out->min = tm.tm_min;
	out->hour = tm.tm_hour;
	out->wday = tm.tm_wday + 1;
	out->mday = tm.tm_mday;
	out->mon = tm.tm_mon + 1;
	out->year_lo = (tm.tm_year + 1900) % 100;
	out->century = (tm.tm_year + 1900) / 100 % 100;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Returns 0 and the epoch seconds, or -EINVAL if the fields are no date. */
static int tm_to_seconds(const struct rtc_tm *t, int64_t *out)
{
	struct tm tm = {0};
	int year = t->century * 100 + t->year_lo;
	time_t r;

	if (t->sec < 0 || t->sec > 59 || t->min < 0 || t->min > 59 || t->hour < 0 ||
	    t->hour > 23 || t->mon < 1 || t->mon > 12 || t->year_lo < 0 || t->year_lo > 99 ||
	    t->century < 0 || t->century > 99 || t->mday < 1 ||
	    t->mday > days_in_month(year, t->mon))
		return -EINVAL;
	tm.tm_sec = t->sec;
	tm.tm_min = t->min;
	tm.tm_hour = t->hour;
	tm.tm_mday = t->mday;
	tm.tm_mon = t->mon - 1;
	tm.tm_year = year - 1900;
	r = timegm(&tm);
	*out = (int64_t)r;
	return 0;
}

/* ---- register encoding (lock held) ---- */

static bool binary_mode(const struct rtc *rtc)
{
	return rtc->cmos[REG_B] & B_DM_BINARY;
}

static uint8_t enc(const struct rtc *rtc, int v)
{
	v %= 100;
	return binary_mode(rtc) ? (uint8_t)v : (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* Decode a guest byte; -1 if it is not valid BCD in BCD mode. */
static int dec(const struct rtc *rtc, uint8_t v)
{
	if (binary_mode(rtc))
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t enc_hour(const struct rtc *rtc, int h)
{
	int h12;

	if (rtc->cmos[REG_B] & B_24H)
		return enc(rtc, h);
	h12 = h % 12 == 0 ? 12 : h % 12;
	return enc(rtc, h12) | (h >= 12 ? HOUR_PM : 0);
}

static int dec_hour(const struct rtc *rtc, uint8_t v)
{
	int h;

	if (rtc->cmos[REG_B] & B_24H)
		return dec(rtc, v);
	h = dec(rtc, v & ~HOUR_PM);
	if (h < 1 || h > 12)
		return -1;
	return h % 12 + ((v & HOUR_PM) ? 12 : 0);
}

static bool is_clock_reg(unsigned idx)
{
	switch (idx) {
	case REG_SEC:
	case REG_MIN:
	case REG_HOUR:
	case REG_WDAY:
	case REG_MDAY:
	case REG_MON:
	case REG_YEAR:
	case REG_CENTURY:
		return true;
	default:
		return false;
	}
}

static bool set_mode(const struct rtc *rtc)
{
	return rtc->cmos[REG_B] & B_SET;
}

/* The guest clock now (or the frozen copy while SET is on). */
static void current_tm(const struct rtc *rtc, struct rtc_tm *t, long *nsec)
{
	struct timespec ts;

	if (set_mode(rtc)) {
		*t = rtc->frozen;
		*nsec = 0;
		return;
	}
	ts = host_now(rtc);
	tm_from_seconds((int64_t)ts.tv_sec + rtc->offset_s, t);
	*nsec = ts.tv_nsec;
}

static uint8_t read_clock(const struct rtc *rtc, unsigned idx, const struct rtc_tm *t)
{
	int v;

	switch (idx) {
	case REG_SEC:
		v = t->sec;
		break;
	case REG_MIN:
		v = t->min;
		break;
	case REG_HOUR:
		return t->hour < 0 ? 0xff : enc_hour(rtc, t->hour);
	case REG_WDAY:
		v = t->wday;
		break;
	case REG_MDAY:
		v = t->mday;
		break;
	case REG_MON:
		v = t->mon;
		break;
	case REG_YEAR:
		v = t->year_lo;
		break;
	case REG_CENTURY:
		v = t->century;
		break;
	default:
		return 0xff;
	}
	return v < 0 ? 0xff : enc(rtc, v);
}

static void write_clock(const struct rtc *rtc, unsigned idx, uint8_t val, struct rtc_tm *t)
{
	int v = idx == REG_HOUR ? dec_hour(rtc, val) : dec(rtc, val);

	switch (idx) {
	case REG_SEC:
		t->sec = v;
		break;
	case REG_MIN:
		t->min = v;
		break;
	case REG_HOUR:
		t->hour = v;
		break;
	case REG_WDAY:
		t->wday = v; /* recomputed from the date when SET clears */
		break;
	case REG_MDAY:
		t->mday = v;
		break;
	case REG_MON:
		t->mon = v;
		break;
	case REG_YEAR:
		t->year_lo = v;
		break;
	case REG_CENTURY:
		t->century = v;
		break;
	}
}

/* Make t the guest clock from now on. */
static void commit_clock(struct rtc *rtc, const struct rtc_tm *t)
{
	int64_t guest;

	if (tm_to_seconds(t, &guest) < 0) {
		log_ratelimited(&rtc->rl, LOG_WARN,
				"rtc: guest set an invalid time %02d%02d-%d-%d %d:%d:%d, ignored",
				t->century, t->year_lo, t->mon, t->mday, t->hour, t->min, t->sec);
		return;
	}
	rtc->offset_s = guest - (int64_t)host_now(rtc).tv_sec;
}

static uint8_t reg_a(const struct rtc *rtc)
{
	uint8_t a = rtc->cmos[REG_A] & ~A_UIP;

	if (!set_mode(rtc) && (a & A_DV_RESET) != A_DV_RESET &&
	    host_now(rtc).tv_nsec >= 1000000000L - UIP_WINDOW_NS)
		a |= A_UIP;
	return a;
}

static uint8_t cmos_read(struct rtc *rtc, unsigned idx)
{
	struct rtc_tm t;
	long nsec;
	uint8_t v;

	if (is_clock_reg(idx)) {
		current_tm(rtc, &t, &nsec);
		return read_clock(rtc, idx, &t);
	}
	switch (idx) {
	case REG_A:
		return reg_a(rtc);
	case REG_C:
		v = rtc->cmos[REG_C];
		rtc->cmos[REG_C] = 0; /* flags clear on read */
		return v;
	case REG_D:
		return D_VRT;
	default:
		return rtc->cmos[idx];
	}
}

static void write_b(struct rtc *rtc, uint8_t v)
{
	uint8_t old = rtc->cmos[REG_B];
	struct rtc_tm t;
	long nsec;

	if ((v & B_SET) && !(old & B_SET)) {
		current_tm(rtc, &t, &nsec); /* SET still off: the live clock */
		rtc->frozen = t;
		v &= ~B_UIE; /* setting SET clears UIE */
	}
	rtc->cmos[REG_B] = v;
	if (!(v & B_SET) && (old & B_SET))
		commit_clock(rtc, &rtc->frozen);
}

static void cmos_write(struct rtc *rtc, unsigned idx, uint8_t v)
{
	struct rtc_tm t;
	long nsec;

	if (is_clock_reg(idx)) {
		if (set_mode(rtc)) {
			write_clock(rtc, idx, v, &rtc->frozen);
		} else {
			current_tm(rtc, &t, &nsec);
			write_clock(rtc, idx, v, &t);
			commit_clock(rtc, &t);
		}
		return;
	}
	switch (idx) {
	case REG_A:
		rtc->cmos[REG_A] = v & ~A_UIP;
		break;
	case REG_B:
		write_b(rtc, v);
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	default:
		rtc->cmos[idx] = v;
		break;
	}
}

/* ---- bus interface ---- */

/* Contract: offset 0 = index port, 1 = data port; wider accesses are split
 * into byte accesses (so `outw(idx | val << 8, 0x70)` works); bytes past the
 * two ports read 0xff and are dropped on write. */
static void rtc_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	for (uint32_t i = 0; i < len; i++)
		data[i] = offset + i == 1 ? cmos_read(rtc, rtc->index) : 0xff;
	pthread_mutex_unlock(&rtc->lock);
}

static void rtc_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct rtc *rtc = opaque;

	pthread_mutex_lock(&rtc->lock);
	for (uint32_t i = 0; i < len; i++) {
		if (offset + i == 0)
			rtc->index = data[i] & 0x7f; /* bit 7: NMI mask, ignored */
		else if (offset + i == 1)
			cmos_write(rtc, rtc->index, data[i]);
	}
	pthread_mutex_unlock(&rtc->lock);
}

const struct bus_ops rtc_bus_ops = {
	.read = rtc_read,
	.write = rtc_write,
};

int64_t rtc_offset_seconds(struct rtc *rtc)
{
	int64_t v;

	pthread_mutex_lock(&rtc->lock);
	v = rtc->offset_s;
	pthread_mutex_unlock(&rtc->lock);
	return v;
}

static void put16(uint8_t *cmos, unsigned lo, uint64_t v)
{
	cmos[lo] = (uint8_t)v;
	cmos[lo + 1] = (uint8_t)(v >> 8);
}

static void set_memory_bytes(uint8_t *cmos, uint64_t below, uint64_t above)
{
	const uint64_t mib = 1ULL << 20, blk = 64ULL << 10;
	uint64_t v;

	if (below) {
		put16(cmos, 0x15, 640);
		v = below > mib ? (below - mib) >> 10 : 0;
		v = v > 0xffff ? 0xffff : v;
		put16(cmos, 0x17, v);
		put16(cmos, 0x30, v);
		v = below > 16 * mib ? (below - 16 * mib) / blk : 0;
		put16(cmos, 0x34, v > 0xffff ? 0xffff : v);
	}
	v = above / blk;
	v = v > 0xffffff ? 0xffffff : v;
	cmos[0x5b] = (uint8_t)v;
	cmos[0x5c] = (uint8_t)(v >> 8);
	cmos[0x5d] = (uint8_t)(v >> 16);
}

int rtc_create(const struct rtc_config *cfg, struct rtc **out)
{
	struct rtc *rtc;

	if (!out)
		return -EINVAL;
	rtc = calloc(1, sizeof(*rtc));
	if (!rtc)
		return -ENOMEM;
	if (pthread_mutex_init(&rtc->lock, NULL) != 0) {
		free(rtc);
		return -ENOMEM;
	}
	rtc->cmos[REG_A] = A_DEFAULT;
	rtc->cmos[REG_B] = B_DEFAULT;
	if (cfg) {
		rtc->cfg = *cfg;
		set_memory_bytes(rtc->cmos, cfg->mem_below_4g, cfg->mem_above_4g);
	}
	rtc->rl = (struct log_ratelimit)LOG_RATELIMIT_INIT;
	*out = rtc;
	return 0;
}

void rtc_destroy(struct rtc *rtc)
{
	if (!rtc)
		return;
	pthread_mutex_destroy(&rtc->lock);
	free(rtc);
}
