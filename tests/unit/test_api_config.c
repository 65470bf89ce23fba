/* Unit tests: VmConfig JSON ⇄ vm_config (strict keys, types, unsupported
 * fields, ranges, round trip). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"

static int parse(const char *json, struct vm_config *cfg, char *err)
{
	return api_config_from_json(json, strlen(json), 0, cfg, err, 256);
}

static void expect_error(const char *json, const char *needle)
{
	struct vm_config cfg;
	char err[256] = "";
	assert_int_equal(parse(json, &cfg, err), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s' (input %s)", err, needle, json);
	config_free(&cfg);
}

static void test_minimal(void **state)
{
	struct vm_config cfg;
	char err[256];
	assert_int_equal(parse("{\"payload\":{\"kernel\":\"/boot/vmlinux\"}}", &cfg, err), 0);
	assert_string_equal(cfg.kernel, "/boot/vmlinux");
	assert_null(cfg.initramfs);
	assert_string_equal(cfg.cmdline, CONFIG_DEFAULT_CMDLINE);
	assert_int_equal(cfg.boot_vcpus, 1);
	assert_int_equal(cfg.max_vcpus, 1);
	assert_int_equal(cfg.mem_size, CONFIG_DEFAULT_MEM);
	assert_int_equal(cfg.serial.mode, CONSOLE_NULL);
	assert_int_equal(cfg.console.mode, CONSOLE_OFF);
	assert_string_equal(cfg.rng_src, CONFIG_DEFAULT_RNG_SRC);
	config_free(&cfg);
}

static const char *full =
	"{\"payload\":{\"kernel\":\"/k\",\"initramfs\":\"/i\",\"cmdline\":\"console=ttyS0\"},"
	"\"cpus\":{\"boot_vcpus\":2,\"max_vcpus\":4,\"kvm_hyperv\":false,\"nested\":true},"
	"\"memory\":{\"size\":8589934592,\"mergeable\":false,\"shared\":false,\"hugepages\":false,\"thp\":true,"
	"\"hotplug_method\":\"Acpi\"},"
	"\"serial\":{\"mode\":\"File\",\"file\":\"/tmp/s\"},\"console\":{\"mode\":\"Null\",\"iommu\":false},"
	"\"rng\":{\"src\":\"/dev/random\",\"iommu\":false},"
	"\"disks\":[{\"path\":\"/d.img\",\"readonly\":true,\"num_queues\":2,\"queue_size\":256,\"id\":\"disk0\","
	"\"image_type\":\"Raw\"}],"
	"\"net\":[{\"tap\":\"tap3\",\"mac\":\"52:54:00:ab:cd:ef\",\"num_queues\":2,\"queue_size\":512,\"id\":\"n0\","
	"\"iommu\":false,\"vhost_user\":false,\"vhost_mode\":\"Client\",\"offload_tso\":true,\"mtu\":1500},"
	"{\"ip\":\"192.168.9.1\",\"mask\":\"255.255.255.0\"}],\"iommu\":false,\"watchdog\":false,\"pvpanic\":false}";

static void test_full(void **state)
{
	struct vm_config cfg;
	char err[256];
	if (parse(full, &cfg, err))
		fail_msg("%s", err);
	assert_string_equal(cfg.initramfs, "/i");
	assert_string_equal(cfg.cmdline, "console=ttyS0");
	assert_int_equal(cfg.boot_vcpus, 2);
	assert_int_equal(cfg.max_vcpus, 4);
	assert_int_equal(cfg.mem_size, 8ULL << 30); /* 64-bit integer */
	assert_int_equal(cfg.serial.mode, CONSOLE_FILE);
	assert_string_equal(cfg.serial.path, "/tmp/s");
	assert_int_equal(cfg.console.mode, CONSOLE_NULL);
	assert_string_equal(cfg.rng_src, "/dev/random");
	assert_int_equal(cfg.nr_disks, 1);
	assert_string_equal(cfg.disks[0].path, "/d.img");
	assert_true(cfg.disks[0].readonly);
	assert_int_equal(cfg.disks[0].num_queues, 2);
	assert_int_equal(cfg.disks[0].queue_size, 256);
	assert_string_equal(cfg.disks[0].id, "disk0");
	assert_int_equal(cfg.nr_nets, 2);
	assert_string_equal(cfg.nets[0].tap, "tap3");
	assert_true(cfg.nets[0].has_mac);
	assert_memory_equal(cfg.nets[0].mac, "\x52\x54\x00\xab\xcd\xef", 6);
	assert_int_equal(cfg.nets[0].queue_size, 512);
	assert_int_equal(cfg.nets[0].nr_fds, 0);
	assert_string_equal(cfg.nets[0].id, "n0");
	assert_null(cfg.nets[1].tap);
	assert_false(cfg.nets[1].has_mac);
	assert_string_equal(cfg.nets[1].ip, "192.168.9.1");
	assert_string_equal(cfg.nets[1].mask, "255.255.255.0");
	assert_int_equal(cfg.nets[1].num_queues, 2);
	assert_int_equal(cfg.nets[1].queue_size, CONFIG_NET_DEFAULT_QUEUE_SIZE);

	/* Round trip: what vm.info shows parses back to the same config. */
	char *json = api_config_to_json(&cfg);
	assert_non_null(json);
	struct vm_config back;
	if (parse(json, &back, err))
		fail_msg("%s: %s", json, err);
	char *json2 = api_config_to_json(&back);
	assert_string_equal(json, json2);
	free(json);
	free(json2);
	char *info = api_vm_info_json(&cfg, API_VM_PAUSED);
	assert_non_null(strstr(info, "\"state\":\"Paused\""));
	assert_non_null(strstr(info, "\"memory_actual_size\":8589934592"));
	free(info);
	config_free(&back);
	config_free(&cfg);
}

static void test_strict_keys(void **state)
{
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"bogus\":1}", "bogus");
	expect_error("{\"payload\":{\"kernel\":\"/k\",\"kernal\":\"/x\"}}", "kernal");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":1,\"max_vcpus\":1,\"topology\":{}}}",
		     "topology");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":67108864,\"zones\":[]}}", "zones");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"balloon\":{}}", "balloon");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"disks\":[{\"path\":\"/d\",\"xyz\":1}]}", "xyz");
}

static void test_types(void **state)
{
	expect_error("{\"payload\":\"k\"}", "payload");
	expect_error("{\"payload\":{\"kernel\":1}}", "payload");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":\"2\",\"max_vcpus\":2}}", "cpus");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":2}}", "cpus");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":1.5}}", "memory");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":true}}", "memory");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"disks\":{}}", "disks");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"disks\":[1]}", "disks[0]");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"serial\":{\"mode\":3}}", "serial");
	expect_error("[]", "VmConfig");
	expect_error("{", "invalid JSON");
}

static void test_unsupported_and_ranges(void **state)
{
	expect_error("{\"payload\":{\"kernel\":\"/k\",\"firmware\":\"/f\"}}", "firmware");
	expect_error("{\"payload\":{}}", "payload.kernel");
	expect_error("{\"payload\":{\"kernel\":\"\"}}", "payload.kernel");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":0,\"max_vcpus\":1}}", "boot_vcpus");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":2,\"max_vcpus\":1}}", "max_vcpus");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":9999999999,\"max_vcpus\":1}}",
		     "boot_vcpus");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"cpus\":{\"boot_vcpus\":1,\"max_vcpus\":1,\"kvm_hyperv\":true}}",
		     "kvm_hyperv");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":-1}}", "memory.size");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":1048576}}", "too small");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":67108864,\"hugepages\":true}}", "hugepages");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":67108864,\"hotplug_size\":1}}", "hotplug");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"serial\":{\"mode\":\"Pty\"}}", "serial.mode");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"serial\":{\"mode\":\"File\"}}", "needs file");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"serial\":{\"mode\":\"Tty\"},\"console\":{\"mode\":\"Tty\"}}",
		     "only one");
	/* net: the same checks as --net, plus the NetConfig fields nimbus lacks */
	static const struct {
		const char *net, *needle;
	} nets[] = {
		{"{}", NULL},
		{"{\"fd\":5}", "fd"}, /* not in the API document: an unknown key */
		{"{\"mac\":\"01:00:00:00:00:01\"}", "net[0] mac="},
		{"{\"tap\":\"abcdefghijklmnopq\"}", "tap="},
		{"{\"ip\":\"10.0.0.1\"}", "go together"},
		{"{\"ip\":\"10.0.0.300\",\"mask\":\"255.0.0.0\"}", "ip="},
		{"{\"num_queues\":3}", "num_queues"},
		{"{\"num_queues\":0}", "num_queues"},
		{"{\"queue_size\":100}", "queue_size"},
		{"{\"queue_size\":-2}", "queue_size"},
		{"{\"vhost_user\":true}", "vhost_user"},
		{"{\"vhost_socket\":\"/s\"}", "vhost-user"},
		{"{\"host_mac\":\"52:54:00:00:00:01\"}", "host_mac"},
		{"{\"mtu\":9000}", "mtu"},
		{"{\"offload_csum\":false}", "offload"},
		{"{\"rate_limiter_config\":{}}", "rate_limiter_config"},
		{"{\"tap\":7}", "net[0]"},
	};
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		char json[256];
		snprintf(json, sizeof(json), "{\"payload\":{\"kernel\":\"/k\"},\"net\":[%s]}", nets[i].net);
		if (nets[i].needle) {
			expect_error(json, nets[i].needle);
		} else {
			struct vm_config cfg;
			char err[256];
			if (parse(json, &cfg, err))
				fail_msg("%s: %s", json, err);
			config_free(&cfg);
		}
	}
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"net\":{}}", "net: expected an array");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"net\":[{},{},{},{},{},{},{},{},{}]}", "at most");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"disks\":[{\"path\":\"/d\",\"queue_size\":100}]}", "queue_size");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"disks\":[{\"path\":\"/d\",\"image_type\":\"Qcow2\"}]}",
		     "image_type");
	expect_error("{\"payload\":{\"kernel\":\"/k\"},\"iommu\":true}", "iommu");
}

static void test_host_limit(void **state)
{
	struct vm_config cfg;
	char err[256];
	const char *j = "{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":1073741824}}";
	assert_int_equal(api_config_from_json(j, strlen(j), 512ULL << 20, &cfg, err, sizeof(err)), -EINVAL);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_strict_keys),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_unsupported_and_ranges),
		cmocka_unit_test(test_host_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
