/* vmm/main.c — nimbus entry point: parse options, run the VM. */
#include <stdio.h>

#include "util/event_monitor.h"
#include "security/seccomp.h"
#include "util/log.h"
#include "vmm/config.h"
#include "vmm/vm.h"
#include "vmm/vmm.h"

int main(int argc, char **argv)
{
	log_time_init();
	struct vm_config cfg;
	enum config_action action;
	char err[256];
	if (config_parse_args(argc, argv, config_host_mem_limit(), &cfg, &action, err, sizeof(err))) {
		fprintf(stderr, "nimbus: %s\n", err);
		config_free(&cfg);
		return VM_EXIT_SETUP;
	}
	if (action == CONFIG_HELP) {
		config_print_help(argv[0]);
		config_free(&cfg);
		return 0;
	}
	if (action == CONFIG_VERSION) {
		printf("nimbus %s\n", NIMBUS_VERSION);
		config_free(&cfg);
		return 0;
	}
	log_set_level(cfg.verbosity >= 2 ? LOG_DEBUG : cfg.verbosity == 1 ? LOG_INFO : LOG_WARN);
	if (cfg.log_file) {
		int rc = log_open_file(cfg.log_file);
		if (rc) {
			fprintf(stderr, "nimbus: --log-file %s: cannot open\n", cfg.log_file);
			config_free(&cfg);
			return VM_EXIT_SETUP;
		}
	}
	if (cfg.event_monitor_path || cfg.event_monitor_fd) {
		if (event_monitor_open(cfg.event_monitor_path, cfg.event_monitor_fd, err, sizeof(err))) {
			fprintf(stderr, "nimbus: %s\n", err);
			config_free(&cfg);
			return VM_EXIT_SETUP;
		}
	}
	event_emit("vmm", "starting", NULL);
	if (thread_filter_init(cfg.seccomp)) {
		log_error("--seccomp: this kernel cannot filter system calls (seccomp); use --seccomp false to run without");
		config_free(&cfg);
		log_close();
		return VM_EXIT_SETUP;
	}
	int code = cfg.api_socket_path || cfg.api_socket_fd ? vmm_main(&cfg) : vm_run(&cfg);
	event_emit("vmm", "shutdown", NULL);
	event_monitor_close();
	config_free(&cfg);
	log_close();
	return code;
}
