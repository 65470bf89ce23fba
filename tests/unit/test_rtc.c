/* Unit tests for devices/rtc (CMOS RTC), driven through its bus_ops. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "devices/rtc.h"

#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d

static int setup(void **state)
{
	struct rtc *rtc;

	assert_int_equal(rtc_create(NULL, &rtc), 0);
	*state = rtc;
	return 0;
}

static int teardown(void **state)
{
	rtc_destroy(*state);
	return 0;
}

static uint8_t cmos_rd(struct rtc *rtc, uint8_t idx)
{
	uint8_t v = 0;

	rtc_bus_ops.write(rtc, 0, &idx, 1);
	rtc_bus_ops.read(rtc, 1, &v, 1);
	return v;
}

static void cmos_wr(struct rtc *rtc, uint8_t idx, uint8_t v)
{
	rtc_bus_ops.write(rtc, 0, &idx, 1);
	rtc_bus_ops.write(rtc, 1, &v, 1);
}

static int bcd(uint8_t v)
{
	assert_true((v & 0x0f) <= 9 && (v >> 4) <= 9);
	return (v >> 4) * 10 + (v & 0x0f);
}

struct fields {
	int sec, min, hour, wday, mday, mon, year;
};

/* Read the clock in the current mode and decode it to binary 24-hour. */
static struct fields read_clock(struct rtc *rtc)
{
	uint8_t b = cmos_rd(rtc, REG_B);
	int binary = b & 0x04, h24 = b & 0x02;
	uint8_t raw[10], cent = cmos_rd(rtc, 0x32);
	int (*d)(uint8_t);
	struct fields f;
	int hour;

	for (int i = 0; i < 10; i++)
		raw[i] = cmos_rd(rtc, (uint8_t)i);
	if (binary)
		d = NULL;
	else
		d = bcd;
#define DEC(x) (d ? d(x) : (int)(x))
	f.sec = DEC(raw[0]);
	f.min = DEC(raw[2]);
	if (h24) {
		hour = DEC(raw[4]);
	} else {
		hour = DEC(raw[4] & 0x7f);
		assert_true(hour >= 1 && hour <= 12);
		hour = hour % 12 + ((raw[4] & 0x80) ? 12 : 0);
	}
	f.hour = hour;
	f.wday = DEC(raw[6]);
	f.mday = DEC(raw[7]);
	f.mon = DEC(raw[8]);
	f.year = DEC(cent) * 100 + DEC(raw[9]);
#undef DEC
	return f;
}

static time_t fields_to_time(const struct fields *f)
{
	struct tm tm = {0};

	tm.tm_sec = f->sec;
	tm.tm_min = f->min;
	tm.tm_hour = f->hour;
	tm.tm_mday = f->mday;
	tm.tm_mon = f->mon - 1;
	tm.tm_year = f->year - 1900;
	return timegm(&tm);
}

/* The clock read through the device matches host UTC within a second. */
static void check_matches_host(struct rtc *rtc, int64_t offset)
{
	time_t before = time(NULL);
	struct fields f = read_clock(rtc);
	time_t after = time(NULL);
	time_t t = fields_to_time(&f);
	struct tm tm;

	assert_true(t >= before + offset - 1 && t <= after + offset + 1);
	gmtime_r(&t, &tm);
	assert_int_equal(f.wday, tm.tm_wday + 1);
	assert_true(f.sec >= 0 && f.sec <= 59);
	assert_true(f.min >= 0 && f.min <= 59);
	assert_true(f.hour >= 0 && f.hour <= 23);
}

static void test_defaults(void **state)
{
	struct rtc *rtc = *state;

	assert_int_equal(cmos_rd(rtc, REG_A) & 0x7f, 0x26);
	assert_int_equal(cmos_rd(rtc, REG_B), 0x02); /* BCD, 24-hour */
	assert_int_equal(cmos_rd(rtc, REG_C), 0x00);
	assert_int_equal(cmos_rd(rtc, REG_D), 0x80); /* VRT */
	assert_int_equal(rtc_offset_seconds(rtc), 0);
}

static void test_bcd_matches_host(void **state)
{
	check_matches_host(*state, 0);
}

static void test_binary_matches_host(void **state)
{
	struct rtc *rtc = *state;

	cmos_wr(rtc, REG_B, 0x06);
	assert_int_equal(cmos_rd(rtc, REG_B), 0x06);
	check_matches_host(rtc, 0);
	/* In binary mode the year register holds 0-99 plainly. */
	assert_true(cmos_rd(rtc, 0x09) <= 99);
	assert_int_equal(cmos_rd(rtc, 0x32), 20);
}

static void test_bcd_vs_binary_same_time(void **state)
{
	struct rtc *rtc = *state;
	struct fields a, b;

	for (int tries = 0; tries < 5; tries++) {
		time_t t0 = time(NULL);

		cmos_wr(rtc, REG_B, 0x02);
		a = read_clock(rtc);
		cmos_wr(rtc, REG_B, 0x06);
		b = read_clock(rtc);
		if (time(NULL) == t0)
			break; /* no second boundary in between */
	}
	assert_int_equal(a.year, b.year);
	assert_int_equal(a.mon, b.mon);
	assert_int_equal(a.mday, b.mday);
	assert_int_equal(a.hour, b.hour);
	assert_int_equal(a.min, b.min);
	assert_int_equal(a.sec, b.sec);
}

static void test_12_hour(void **state)
{
	struct rtc *rtc = *state;

	cmos_wr(rtc, REG_B, 0x00); /* BCD, 12-hour */
	check_matches_host(rtc, 0);
	cmos_wr(rtc, REG_B, 0x04); /* binary, 12-hour */
	check_matches_host(rtc, 0);

	/* Set 00:30 and 13:05 through the 12-hour encoding. */
	cmos_wr(rtc, REG_B, 0x80 | 0x04);
	cmos_wr(rtc, 0x04, 12); /* 12 AM */
	cmos_wr(rtc, 0x02, 30);
	cmos_wr(rtc, REG_B, 0x06); /* clear SET, binary 24-hour */
	assert_int_equal(cmos_rd(rtc, 0x04), 0);
	cmos_wr(rtc, REG_B, 0x80 | 0x04);
	cmos_wr(rtc, 0x04, 0x80 | 1); /* 1 PM */
	cmos_wr(rtc, REG_B, 0x06);
	assert_int_equal(cmos_rd(rtc, 0x04), 13);
	cmos_wr(rtc, REG_B, 0x04);
	assert_int_equal(cmos_rd(rtc, 0x04), 0x80 | 1);
	cmos_wr(rtc, REG_B, 0x00);
	assert_int_equal(cmos_rd(rtc, 0x04), 0x81);
}

static struct timespec fake_now;

static void fake_clock(void *ctx, struct timespec *now)
{
	(void)ctx;
	*now = fake_now;
}

static struct rtc *fake_rtc(time_t sec, long nsec)
{
	struct rtc *rtc;
	struct rtc_config cfg = {.clock = fake_clock};

	fake_now.tv_sec = sec;
	fake_now.tv_nsec = nsec;
	assert_int_equal(rtc_create(&cfg, &rtc), 0);
	return rtc;
}

/* UIP is high only in the 244 us before each second boundary, so a guest
 * waiting for it to clear waits at most that long. */
static void test_uip(void **state)
{
	struct rtc *rtc = fake_rtc(1700000000, 0);

	(void)state;
	assert_int_equal(cmos_rd(rtc, REG_A), 0x26);
	fake_now.tv_nsec = 999755999;
	assert_int_equal(cmos_rd(rtc, REG_A), 0x26);
	fake_now.tv_nsec = 999756000;
	assert_int_equal(cmos_rd(rtc, REG_A), 0xa6);
	fake_now.tv_nsec = 999999999;
	assert_int_equal(cmos_rd(rtc, REG_A), 0xa6);
	fake_now.tv_sec++;
	fake_now.tv_nsec = 0;
	assert_int_equal(cmos_rd(rtc, REG_A), 0x26);
	/* Scan a whole second in 1 us steps: UIP is set for exactly 244 us. */
	{
		int set = 0;

		for (long ns = 0; ns < 1000000000L; ns += 1000) {
			fake_now.tv_nsec = ns;
			set += (cmos_rd(rtc, REG_A) & 0x80) != 0;
		}
		assert_int_equal(set, 244);
	}

	/* With SET on, or the divider in reset, no updates happen. */
	fake_now.tv_nsec = 999900000;
	assert_int_equal(cmos_rd(rtc, REG_A), 0xa6);
	cmos_wr(rtc, REG_B, 0x82);
	assert_int_equal(cmos_rd(rtc, REG_A), 0x26);
	cmos_wr(rtc, REG_B, 0x02);
	cmos_wr(rtc, REG_A, 0x66);
	assert_int_equal(cmos_rd(rtc, REG_A), 0x66);
	/* Register A's other bits are writable; UIP is not. */
	cmos_wr(rtc, REG_A, 0xa6);
	assert_int_equal(cmos_rd(rtc, REG_A), 0xa6); /* read back: UIP from the clock */
	fake_now.tv_nsec = 0;
	assert_int_equal(cmos_rd(rtc, REG_A), 0x26);
	cmos_wr(rtc, REG_A, 0x20);
	assert_int_equal(cmos_rd(rtc, REG_A), 0x20);
	rtc_destroy(rtc);
}

/* Exact register values for a known instant, BCD and binary, 12 and 24 h. */
static void test_known_instants(void **state)
{
	/* 2024-02-29 23:59:58 UTC, a Thursday. */
	struct rtc *rtc = fake_rtc(1709251198, 500000000);

	(void)state;
	assert_int_equal(cmos_rd(rtc, 0x00), 0x58);
	assert_int_equal(cmos_rd(rtc, 0x02), 0x59);
	assert_int_equal(cmos_rd(rtc, 0x04), 0x23);
	assert_int_equal(cmos_rd(rtc, 0x06), 0x05);
	assert_int_equal(cmos_rd(rtc, 0x07), 0x29);
	assert_int_equal(cmos_rd(rtc, 0x08), 0x02);
	assert_int_equal(cmos_rd(rtc, 0x09), 0x24);
	assert_int_equal(cmos_rd(rtc, 0x32), 0x20);
	cmos_wr(rtc, REG_B, 0x06);
	assert_int_equal(cmos_rd(rtc, 0x00), 58);
	assert_int_equal(cmos_rd(rtc, 0x04), 23);
	assert_int_equal(cmos_rd(rtc, 0x07), 29);
	assert_int_equal(cmos_rd(rtc, 0x09), 24);
	assert_int_equal(cmos_rd(rtc, 0x32), 20);
	cmos_wr(rtc, REG_B, 0x04); /* binary 12 h: 11 PM */
	assert_int_equal(cmos_rd(rtc, 0x04), 0x80 | 11);
	cmos_wr(rtc, REG_B, 0x00); /* BCD 12 h */
	assert_int_equal(cmos_rd(rtc, 0x04), 0x80 | 0x11);

	/* Two seconds later: 2024-03-01 00:00:00, Friday; midnight is 12 AM. */
	fake_now.tv_sec += 2;
	assert_int_equal(cmos_rd(rtc, 0x04), 0x12);
	cmos_wr(rtc, REG_B, 0x02);
	assert_int_equal(cmos_rd(rtc, 0x00), 0x00);
	assert_int_equal(cmos_rd(rtc, 0x04), 0x00);
	assert_int_equal(cmos_rd(rtc, 0x06), 0x06);
	assert_int_equal(cmos_rd(rtc, 0x07), 0x01);
	assert_int_equal(cmos_rd(rtc, 0x08), 0x03);

	/* Noon is 12 PM. */
	fake_now.tv_sec += 12 * 3600;
	cmos_wr(rtc, REG_B, 0x00);
	assert_int_equal(cmos_rd(rtc, 0x04), 0x80 | 0x12);
	rtc_destroy(rtc);

	/* 1999-12-31 23:59:59 -> century 19. */
	rtc = fake_rtc(946684799, 0);
	assert_int_equal(cmos_rd(rtc, 0x09), 0x99);
	assert_int_equal(cmos_rd(rtc, 0x32), 0x19);
	fake_now.tv_sec++;
	assert_int_equal(cmos_rd(rtc, 0x09), 0x00);
	assert_int_equal(cmos_rd(rtc, 0x32), 0x20);
	rtc_destroy(rtc);
}

/* The guest's offset survives host time moving on. */
static void test_offset_follows_host(void **state)
{
	struct rtc *rtc = fake_rtc(1700000000, 0);

	(void)state;
	cmos_wr(rtc, REG_B, 0x86);
	cmos_wr(rtc, 0x09, 30);
	cmos_wr(rtc, 0x32, 20);
	cmos_wr(rtc, REG_B, 0x06);
	/* 2023-11-14 22:13:20 became 2030-11-14 22:13:20. */
	assert_int_equal(rtc_offset_seconds(rtc), 1920924800LL - 1700000000LL);
	fake_now.tv_sec += 100;
	assert_int_equal(cmos_rd(rtc, 0x09), 30);
	assert_int_equal(cmos_rd(rtc, 0x02), 15);
	assert_int_equal(cmos_rd(rtc, 0x00), 0);
	rtc_destroy(rtc);
}

static void test_set_time(void **state)
{
	struct rtc *rtc = *state;
	struct fields f;
	int64_t want;

	cmos_wr(rtc, REG_B, 0x12); /* UIE on */
	cmos_wr(rtc, REG_B, 0x82 | 0x10);
	assert_int_equal(cmos_rd(rtc, REG_B), 0x82); /* SET clears UIE */
	/* 2000-01-01 00:00:00 (a Saturday), BCD. */
	cmos_wr(rtc, 0x00, 0x00);
	cmos_wr(rtc, 0x02, 0x00);
	cmos_wr(rtc, 0x04, 0x00);
	cmos_wr(rtc, 0x07, 0x01);
	cmos_wr(rtc, 0x08, 0x01);
	cmos_wr(rtc, 0x09, 0x00);
	cmos_wr(rtc, 0x32, 0x20);
	/* Frozen while SET. */
	assert_int_equal(cmos_rd(rtc, 0x09), 0x00);
	assert_int_equal(cmos_rd(rtc, 0x32), 0x20);
	assert_int_equal(cmos_rd(rtc, 0x00), 0x00);
	cmos_wr(rtc, REG_B, 0x02);
	want = 946684800LL - (int64_t)time(NULL);
	assert_true(rtc_offset_seconds(rtc) >= want - 1 && rtc_offset_seconds(rtc) <= want + 1);
	f = read_clock(rtc);
	assert_int_equal(f.year, 2000);
	assert_int_equal(f.mon, 1);
	assert_int_equal(f.mday, 1);
	assert_int_equal(f.hour, 0);
	assert_int_equal(f.min, 0);
	assert_true(f.sec <= 2);
	assert_int_equal(f.wday, 7);
	check_matches_host(rtc, rtc_offset_seconds(rtc));

	/* A single register written with SET off takes effect at once. */
	cmos_wr(rtc, 0x09, 0x42);
	assert_int_equal(cmos_rd(rtc, 0x09), 0x42);
	assert_int_equal(cmos_rd(rtc, 0x32), 0x20);
}

static void test_invalid_time_ignored(void **state)
{
	struct rtc *rtc = *state;

	cmos_wr(rtc, 0x00, 0x99 + 0x0a); /* not BCD */
	assert_int_equal(rtc_offset_seconds(rtc), 0);
	cmos_wr(rtc, 0x00, 0x60); /* 60 seconds */
	assert_int_equal(rtc_offset_seconds(rtc), 0);
	cmos_wr(rtc, REG_B, 0x82);
	cmos_wr(rtc, 0x08, 0x02); /* February 31st */
	cmos_wr(rtc, 0x07, 0x31);
	cmos_wr(rtc, REG_B, 0x02);
	assert_int_equal(rtc_offset_seconds(rtc), 0);
	cmos_wr(rtc, REG_B, 0x82);
	cmos_wr(rtc, 0x09, 0xff); /* bad year; frozen value reads 0xff */
	assert_int_equal(cmos_rd(rtc, 0x09), 0xff);
	cmos_wr(rtc, REG_B, 0x02);
	assert_int_equal(rtc_offset_seconds(rtc), 0);
	check_matches_host(rtc, 0);
}

static void test_c_d_readonly(void **state)
{
	struct rtc *rtc = *state;

	cmos_wr(rtc, REG_C, 0xff);
	assert_int_equal(cmos_rd(rtc, REG_C), 0x00);
	cmos_wr(rtc, REG_D, 0x00);
	assert_int_equal(cmos_rd(rtc, REG_D), 0x80);
}

static void test_ram_and_index(void **state)
{
	struct rtc *rtc = *state;
	uint8_t v = 0;
	uint8_t w[2];

	for (unsigned i = 0x0e; i < 0x80; i++) {
		if (i == 0x32)
			continue;
		cmos_wr(rtc, (uint8_t)i, (uint8_t)(i ^ 0xa5));
	}
	for (unsigned i = 0x0e; i < 0x80; i++) {
		if (i == 0x32)
			continue;
		assert_int_equal(cmos_rd(rtc, (uint8_t)i), i ^ 0xa5);
	}
	/* Bit 7 of the index is the NMI mask, not part of the address. */
	assert_int_equal(cmos_rd(rtc, 0x80 | 0x40), 0x40 ^ 0xa5);
	/* The index port reads as 0xff. */
	rtc_bus_ops.read(rtc, 0, &v, 1);
	assert_int_equal(v, 0xff);
	/* outw(idx | val << 8, 0x70) writes both. */
	w[0] = 0x50;
	w[1] = 0x77;
	rtc_bus_ops.write(rtc, 0, w, 2);
	assert_int_equal(cmos_rd(rtc, 0x50), 0x77);
	/* Alarm registers are storage. */
	cmos_wr(rtc, 0x01, 0x12);
	assert_int_equal(cmos_rd(rtc, 0x01), 0x12);
}

static void test_memory_bytes(void **state)
{
	struct rtc *rtc;
	struct rtc_config cfg = {.mem_below_4g = 512ULL << 20, .mem_above_4g = 1ULL << 30};

	(void)state;
	assert_int_equal(rtc_create(&cfg, &rtc), 0);
	assert_int_equal(cmos_rd(rtc, 0x15) | cmos_rd(rtc, 0x16) << 8, 640);
	assert_int_equal(cmos_rd(rtc, 0x17) | cmos_rd(rtc, 0x18) << 8, 0xffff);
	assert_int_equal(cmos_rd(rtc, 0x30) | cmos_rd(rtc, 0x31) << 8, 0xffff);
	assert_int_equal(cmos_rd(rtc, 0x34) | cmos_rd(rtc, 0x35) << 8, (512 - 16) * 16);
	assert_int_equal(cmos_rd(rtc, 0x5b) | cmos_rd(rtc, 0x5c) << 8 | cmos_rd(rtc, 0x5d) << 16,
			 16384);
	rtc_destroy(rtc);

	cfg.mem_below_4g = 8ULL << 20;
	cfg.mem_above_4g = 0;
	assert_int_equal(rtc_create(&cfg, &rtc), 0);
	assert_int_equal(cmos_rd(rtc, 0x17) | cmos_rd(rtc, 0x18) << 8, 7 * 1024);
	assert_int_equal(cmos_rd(rtc, 0x34) | cmos_rd(rtc, 0x35) << 8, 0);
	rtc_destroy(rtc);
	assert_int_equal(rtc_create(&cfg, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bcd_matches_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_matches_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bcd_vs_binary_same_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_12_hour, setup, teardown),
		cmocka_unit_test(test_uip),
		cmocka_unit_test(test_known_instants),
		cmocka_unit_test(test_offset_follows_host),
		cmocka_unit_test_setup_teardown(test_set_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_time_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_c_d_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ram_and_index, setup, teardown),
		cmocka_unit_test(test_memory_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
