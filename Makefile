# The two quick-start commands: `make demo` (the main job on sample data against a
# throwaway slapd) and `make test`. Both install what is missing on Debian first.
SHELL := /bin/bash
APT_PACKAGES := slapd ldap-utils libldap2-dev libsasl2-dev zlib1g-dev bc time openssl postfix postfix-ldap dovecot-core dovecot-ldap python3-openpyxl
DEMO_DIR ?= /tmp/rs-demo
SWIFT_FLAGS ?=

.PHONY: deps build lint test test-asan soak killsoak demo demo-stop bench bench-pipeline clean deb install test-deb-install

## deps: install slapd, the OpenLDAP tools and libldap's headers (Debian), if missing
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  printf 'slapd slapd/no_configuration boolean true\npostfix postfix/main_mailer_type select No configuration\n' | $$SUDO debconf-set-selections; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## build: compile; a warning in the project's own code fails the build
build: deps
	@swift build $(SWIFT_FLAGS) --build-tests 2>&1 | tee .build-log.txt | grep -E 'error|warning:|Compiling rostersync|Build complete' || true
	@if grep -E '^/.*/(Sources|Tests|Benchmarks)/.*(warning|error):' .build-log.txt; then echo "build has warnings or errors"; rm -f .build-log.txt; exit 1; fi
	@grep -q 'Build complete' .build-log.txt || { cat .build-log.txt; rm -f .build-log.txt; exit 1; }
	@rm -f .build-log.txt

## lint: no Swift file under Sources/ over 400 lines, no function over 80 (CONTRIBUTING.md)
lint:
	@scripts/check-lengths Sources

## test: every test, against real slapd instances started by the tests
test: build lint
	swift test $(SWIFT_FLAGS)

## soak: hr-export's HR-style quarters synced into one slapd, invariants checked after each
##       make soak [QUARTERS=40] [STAFF=3000] [SEED=13] [DANGLING=0] [SHARED=vanthu] (default 6 quarters, 800 staff)
soak: build
	ROSTERSYNC_SOAK_QUARTERS="$(QUARTERS)" ROSTERSYNC_SOAK_STAFF="$(STAFF)" ROSTERSYNC_SOAK_SEED="$(SEED)" \
	ROSTERSYNC_SOAK_DANGLING="$(DANGLING)" ROSTERSYNC_SOAK_SHARED_MAILBOX="$(or $(SHARED),ubdt)" \
	swift test $(SWIFT_FLAGS) --filter SoakTests

## killsoak: rostersync killed (kill -9) at random moments of initial and churn syncs and applies,
##           each rerun checked (directory, audit, notices, lock); make killsoak [TRIALS=50] [STAFF=600] [SEED=1]
killsoak: build
	ROSTERSYNC_KILL_TRIALS="$(or $(TRIALS),50)" ROSTERSYNC_KILL_STAFF="$(STAFF)" ROSTERSYNC_KILL_SEED="$(SEED)" \
	swift test $(SWIFT_FLAGS) --filter KillSoakTests

## test-asan: the LDAPClient tests under AddressSanitizer
test-asan: deps
	LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp swift test --sanitize=address --scratch-path .build-asan --filter 'LDAPClientTests|LDAPModelTests'

## demo: build, start a throwaway slapd in $(DEMO_DIR), check it with rostersync, show the tree
demo: deps
	@swift build -c release --product rostersync 2>&1 | grep -E "error|warning:" || true
	@swift build -c release --product roster-gen 2>&1 | grep -E "error|warning:" || true
	@scripts/demo "$(DEMO_DIR)"

demo-stop:
	deploy/dev/slapd-dev stop "$(DEMO_DIR)" --purge

## bench: rostersync beside ldapadd/ldapsearch/ldapmodify, fresh slapd per run, one table + JSON
##        make bench [N=100000 | SIZES="1000 10000 100000"] [REPS=3]   (not run by CI)
bench: deps
	N="$(N)" SIZES="$(SIZES)" REPS="$(REPS)" scripts/bench

## bench-pipeline: LDAPClient's pipelined adds beside ldapadd (N=5000 REPS=3)
bench-pipeline: deps
	scripts/bench-pipeline

## deb: dist/rostersync_VERSION-1_amd64.deb for Debian 12: static Swift runtime, systemd units
##      and timers, sysusers/tmpfiles, man pages, completions (packaging/build-deb)
DEB_APT_PACKAGES := patchelf binutils systemd
deb: deps
	@missing=""; for p in $(DEB_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq $$missing; fi
	packaging/build-deb

## install: the same files under $(DESTDIR)$(PREFIX), for systems without the package
##          make install [PREFIX=/usr/local] [DESTDIR=/tmp/stage]
PREFIX ?= /usr/local
DESTDIR ?=
install: deps
	@command -v patchelf >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq patchelf; }
	packaging/install "$(DESTDIR)" "$(PREFIX)"

## test-deb-install: the package installed with apt into a Debian 12 debootstrap, then
##                   --version, check and sync there against a dev slapd (scripts/test-deb-install)
test-deb-install: deb
	@command -v debootstrap >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -qq debootstrap; }
	scripts/test-deb-install "$$(ls -t dist/rostersync_*_amd64.deb | head -1)"

clean:
	rm -rf .build .build-asan
