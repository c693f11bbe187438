#!/usr/bin/env bash
# A real WordPress on 127.0.0.1 for unpress's end-to-end tests (Debian 12, run as root).
#
#   bash tests/wordpress/start.sh           start (installs packages, MariaDB, Apache, seeds content)
#   bash tests/wordpress/start.sh stop      stop both servers by their recorded PIDs
#   bash tests/wordpress/start.sh restart   stop, then start
#   bash tests/wordpress/start.sh status    say what is running
#   bash tests/wordpress/start.sh reset     stop and delete the state directory (next start reseeds)
#
# Environment:
#   UNPRESS_WP_DIR   state directory (default /tmp/unpress-wp): database, uploads, logs, configs, PIDs
#   UNPRESS_WP_PORT  HTTP port on 127.0.0.1 (default 8089); MariaDB uses 3307 or the next free port
#
# On success, prints (and writes to $UNPRESS_WP_DIR/env):
#   UNPRESS_WP_URL=http://127.0.0.1:8089
#   UNPRESS_WP_USER=admin
#   UNPRESS_WP_APP_PASSWORD=<24 characters>
#
# Content (setup.php; deterministic: same IDs, slugs, dates, files on every fresh seed):
#   users 3 (admin/administrator, hanako/editor, taro/author); categories 5 (one child, one with a
#   Japanese slug); tags 6 (two with Japanese slugs, one unused); media 8 (JPEG/PNG drawn with GD,
#   one 3200x2000 so a -scaled copy and original_image exist, one unattached, one Japanese file
#   name); posts: 13 publish (one of them password-protected, password "unpress"; one sticky),
#   1 private, 1 draft, 1 future (2099); pages 3 (one a child); comments 2. Admin login password:
#   unpress-admin. The site is reseeded from scratch when setup.php, mu-plugin.php or the URL change.
#
# Uses the Debian "wordpress" package in /usr/share/wordpress. Its wp-config.php loads
# /etc/wordpress/config-<Host header without port>.php, so this script writes
# /etc/wordpress/config-127.0.0.1.php, which picks the config by port through the symlink
# /etc/wordpress/unpress-port-PORT.php -> $UNPRESS_WP_DIR/wp-config.php (so instances on different
# ports coexist). Nothing else is written outside the state directory, apart from packages (and a
# temporary /usr/sbin/policy-rc.d during apt-get if there is none, so that installing apache2 and
# mariadb-server does not start the system's services). System services and ports are never touched.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
STATE=${UNPRESS_WP_DIR:-/tmp/unpress-wp}
PORT=${UNPRESS_WP_PORT:-8089}
URL="http://127.0.0.1:$PORT"
WP_ROOT=/usr/share/wordpress
WP_CONFIG=/etc/wordpress/config-127.0.0.1.php     # what Debian's wp-config.php loads for Host 127.0.0.1
WP_PORT_CONFIG=/etc/wordpress/unpress-port-$PORT.php # symlink to this instance's $STATE/wp-config.php
DB_NAME=unpress_wp
DB_USER=unpress
DB_PASS=unpress-db-password
PACKAGES=(wordpress wordpress-theme-twentytwentythree mariadb-server apache2 libapache2-mod-php
          php-mysql php-gd php-cli php-mbstring php-xml php-curl curl)

LOGS="$STATE/logs"
RUN="$STATE/run"
DATADIR="$STATE/mysql"
SOCK="$RUN/mysqld.sock"
DB_PID="$RUN/mariadbd.pid"
HTTPD_CONF="$STATE/apache/httpd.conf"
HTTPD_PID="$RUN/apache2.pid"
CONTENT="$STATE/wp-content"
ENV_FILE="$STATE/env"

say() { printf 'unpress-wp: %s\n' "$*" >&2; }
die() {
	printf 'unpress-wp: ERROR: %s\n' "$*" >&2
	exit 1
}
# Print the end of a log file to stderr (for error messages).
tail_log() { [[ -f $1 ]] && { echo "---- last lines of $1:" >&2; tail -n "${2:-25}" "$1" >&2; } || true; }
# shellcheck disable=SC2154  # rc is assigned inside the trap string
# Name the failing command (main shell only; subshells just exit and let the caller report).
trap 'rc=$?; [[ $BASHPID == "$$" ]] && printf "unpress-wp: ERROR: command failed (exit %s) at line %s: %s\n" "$rc" "$LINENO" "$BASH_COMMAND" >&2' ERR

[[ $PORT =~ ^[0-9]+$ ]] || die "UNPRESS_WP_PORT must be a number, got '$PORT'"

# ------------------------------------------------------------------------------------------
# processes

# alive PID NEEDLE: PID is running and its command line mentions NEEDLE (guards against PID reuse)
alive() {
	local pid=$1 needle=$2
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$needle"
}
pid_of() { [[ -s $1 ]] && tr -dc '0-9' <"$1" || true; }
db_running() { alive "$(pid_of "$DB_PID")" "$DATADIR"; }
web_running() { alive "$(pid_of "$HTTPD_PID")" "$HTTPD_CONF"; }

# our_pids NEEDLE: every live process whose command line contains NEEDLE (the config file or the
# datadir of this state directory, so never anything else) — leftovers of a crashed instance
our_pids() {
	local f pid
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		[[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
		tr '\0' ' ' <"$f" 2>/dev/null | grep -qF -- "$1" && echo "$pid"
	done
	return 0
}

# kill_leftovers NEEDLE NAME
kill_leftovers() {
	local pids
	pids=$(our_pids "$1" | tr '\n' ' ')
	[[ -z ${pids// /} ]] && return 0
	say "killing leftover $2 processes: $pids"
	# shellcheck disable=SC2086  # a list of PIDs
	kill -KILL $pids 2>/dev/null || true
	sleep 0.5
}

# port_busy PORT: something accepts connections on 127.0.0.1:PORT
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stop_pid PIDFILE NEEDLE NAME: SIGTERM, wait up to 60 s, then SIGKILL; also reaps the children
stop_pid() {
	local file=$1 needle=$2 name=$3 pid kids i
	pid=$(pid_of "$file")
	if ! alive "$pid" "$needle"; then
		rm -f "$file"
		return 0
	fi
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null | tr -s ' \n' ' ' || true)
	say "stopping $name (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name did not stop in 60 s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.5
	fi
	for i in $kids; do
		alive "$i" "$needle" && kill -KILL "$i" 2>/dev/null || true
	done
	rm -f "$file"
}

stop_all() {
	stop_pid "$HTTPD_PID" "$HTTPD_CONF" "Apache"
	kill_leftovers "$HTTPD_CONF" "Apache"
	stop_pid "$DB_PID" "$DATADIR" "MariaDB"
	kill_leftovers "--datadir=$DATADIR" "MariaDB"
	rm -f "$SOCK"
}

# ------------------------------------------------------------------------------------------
# packages

ensure_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	say "installing packages: ${missing[*]} (log: $LOGS/apt.log)"
	# Keep the packages' postinst scripts from starting the system apache2/mariadb services.
	local policy_added=
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		policy_added=1
	fi
	local ok=1
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1; then
		say "apt-get install failed; running apt-get update and retrying"
		apt-get update -q >>"$LOGS/apt.log" 2>&1 &&
			apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1 || ok=
	fi
	[[ -n $policy_added ]] && rm -f /usr/sbin/policy-rc.d
	[[ -n $ok ]] || { tail_log "$LOGS/apt.log"; die "could not install ${missing[*]}"; }
}

# ------------------------------------------------------------------------------------------
# MariaDB

sql() { mariadb --no-defaults --socket="$SOCK" -uroot --batch --skip-column-names "$@"; }

pick_db_port() {
	local p
	for ((p = 3307; p < 3400; p++)); do
		port_busy "$p" || { echo "$p"; return; }
	done
	die "no free port for MariaDB in 3307-3399"
}

start_db() {
	if db_running; then
		say "MariaDB already running (pid $(pid_of "$DB_PID"))"
		return 0
	fi
	rm -f "$DB_PID" "$SOCK"
	kill_leftovers "--datadir=$DATADIR" "MariaDB"
	if [[ ! -d $DATADIR/mysql ]]; then
		say "initialising MariaDB in $DATADIR"
		rm -rf "$DATADIR"
		mkdir -p "$DATADIR"
		mariadb-install-db --no-defaults --user=root --datadir="$DATADIR" \
			--auth-root-authentication-method=socket --skip-test-db --skip-name-resolve \
			>"$LOGS/mariadb-install.log" 2>&1 ||
			{ tail_log "$LOGS/mariadb-install.log"; die "mariadb-install-db failed"; }
	fi
	local port
	port=$(pick_db_port)
	echo "$port" >"$RUN/db.port"
	say "starting MariaDB on 127.0.0.1:$port (socket $SOCK)"
	# --no-defaults: ignore /etc/mysql; --innodb-use-native-aio=0: io_uring/AIO is often
	# unavailable in containers.
	setsid mariadbd --no-defaults --user=root \
		--datadir="$DATADIR" --socket="$SOCK" --pid-file="$DB_PID" \
		--port="$port" --bind-address=127.0.0.1 --skip-name-resolve \
		--log-error="$LOGS/mariadb.err" --tmpdir="$STATE/tmp" \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=16M --innodb-use-native-aio=0 \
		--skip-log-bin --max-connections=100 \
		</dev/null >>"$LOGS/mariadb.out" 2>&1 &
	local launcher=$! i
	for ((i = 0; i < 600; i++)); do
		if [[ -S $SOCK ]] && mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1; then
			break
		fi
		if ! kill -0 "$launcher" 2>/dev/null && ! db_running; then
			sleep 1
			if ! db_running; then
				tail_log "$LOGS/mariadb.err"
				die "MariaDB exited during start-up"
			fi
		fi
		sleep 0.1
	done
	if ! mariadb-admin --no-defaults --socket="$SOCK" -uroot ping >/dev/null 2>&1; then
		tail_log "$LOGS/mariadb.err"
		die "MariaDB did not answer on $SOCK within 60 s"
	fi
	# mariadbd writes its pid file a moment after the socket appears in some versions
	for ((i = 0; i < 50; i++)); do db_running && break; sleep 0.1; done
	db_running || { [[ -n $launcher ]] && echo "$launcher" >"$DB_PID"; }
	db_running || die "MariaDB is answering but its pid file $DB_PID is missing"
}

ensure_database() {
	sql <<-SQL
		CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
		CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
		GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost';
		GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'127.0.0.1';
	SQL
}

# ------------------------------------------------------------------------------------------
# WordPress config, content dir, Apache

# write_if_changed FILE: replace FILE with stdin when different; returns 0 if it changed
write_if_changed() {
	local tmp
	tmp=$(mktemp "$1.XXXXXX")
	cat >"$tmp"
	if [[ -f $1 ]] && cmp -s "$tmp" "$1"; then
		rm -f "$tmp"
		return 1
	fi
	chmod 644 "$tmp"
	mv -f "$tmp" "$1"
}

salt() { # stable per state dir, so re-runs keep login cookies valid
	[[ -s $STATE/salt ]] || head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$STATE/salt"
	printf '%s-%s' "$(cat "$STATE/salt")" "$1"
}

write_wp_config() {
	mkdir -p /etc/wordpress
	# The host file only dispatches on the port, so instances on different ports (and state
	# directories) can coexist; the real config lives in the state directory.
	if [[ -e $WP_CONFIG ]] && ! grep -q 'unpress tests/wordpress/start.sh' "$WP_CONFIG"; then
		die "$WP_CONFIG exists and was not written by this script; move it away first"
	fi
	write_if_changed "$WP_CONFIG" <<-'PHP' || true
		<?php
		/* Written by unpress tests/wordpress/start.sh. Debian's /usr/share/wordpress/wp-config.php
		 * loads this file for Host 127.0.0.1; each unpress test instance (one per port) has its
		 * config in its state directory, linked from /etc/wordpress/unpress-port-PORT.php. */
		$unpress_port = (int) ( $_SERVER['SERVER_PORT'] ?? 0 );
		if ( ! is_readable( "/etc/wordpress/unpress-port-$unpress_port.php" ) ) {
		    header( 'HTTP/1.0 404 Not Found' );
		    echo "No unpress test site is configured on port $unpress_port.";
		    exit( 1 );
		}
		require "/etc/wordpress/unpress-port-$unpress_port.php";
	PHP
	write_if_changed "$STATE/wp-config.php" <<-PHP || true
		<?php
		/* Written by unpress tests/wordpress/start.sh for the test site at $URL (state in $STATE).
		 * Loaded through $WP_CONFIG by Debian's /usr/share/wordpress/wp-config.php. */
		define( 'DB_NAME', '$DB_NAME' );
		define( 'DB_USER', '$DB_USER' );
		define( 'DB_PASSWORD', '$DB_PASS' );
		define( 'DB_HOST', 'localhost:$SOCK' );
		define( 'DB_CHARSET', 'utf8mb4' );
		define( 'DB_COLLATE', '' );
		\$table_prefix = 'wp_';

		define( 'AUTH_KEY', '$(salt auth)' );
		define( 'SECURE_AUTH_KEY', '$(salt secure-auth)' );
		define( 'LOGGED_IN_KEY', '$(salt logged-in)' );
		define( 'NONCE_KEY', '$(salt nonce)' );
		define( 'AUTH_SALT', '$(salt auth-salt)' );
		define( 'SECURE_AUTH_SALT', '$(salt secure-auth-salt)' );
		define( 'LOGGED_IN_SALT', '$(salt logged-in-salt)' );
		define( 'NONCE_SALT', '$(salt nonce-salt)' );

		define( 'WP_HOME', '$URL' );
		define( 'WP_SITEURL', '$URL' );
		/* Debian's default is /var/lib/wordpress/wp-content; ours is in the state dir, served by an
		 * Apache Alias /wp-content. themes/ and plugins/ link to the packaged ones. */
		define( 'WP_CONTENT_DIR', '$CONTENT' );
		define( 'WP_CONTENT_URL', '$URL/wp-content' );
		define( 'DISABLE_WP_CRON', true );
		define( 'AUTOMATIC_UPDATER_DISABLED', true );
		define( 'WP_HTTP_BLOCK_EXTERNAL', true );
		define( 'WP_DEBUG', false );
	PHP
	chmod 644 "$WP_CONFIG" "$STATE/wp-config.php"
	ln -sfn "$STATE/wp-config.php" "$WP_PORT_CONFIG"
	unlink_other_ports
}

# remove /etc/wordpress/unpress-port-*.php links to this state dir other than the current port's
unlink_other_ports() {
	local f
	for f in /etc/wordpress/unpress-port-*.php; do
		[[ -L $f && $f != "${1:-$WP_PORT_CONFIG}" && $(readlink "$f") == "$STATE/wp-config.php" ]] && rm -f "$f"
	done
	return 0
}

prepare_content_dir() {
	mkdir -p "$CONTENT/mu-plugins" "$CONTENT/uploads"
	ln -sfn "$WP_ROOT/wp-content/themes" "$CONTENT/themes"
	ln -sfn "$WP_ROOT/wp-content/plugins" "$CONTENT/plugins"
	install -m 644 "$HERE/mu-plugin.php" "$CONTENT/mu-plugins/unpress-test.php"
	chown -R www-data:www-data "$CONTENT/uploads"
}

write_httpd_conf() {
	local php_so
	php_so=$(ls /usr/lib/apache2/modules/libphp*.so 2>/dev/null | sort -V | tail -n 1)
	[[ -n $php_so ]] || die "mod_php not found in /usr/lib/apache2/modules (package libapache2-mod-php)"
	local m=/usr/lib/apache2/modules
	mkdir -p "$STATE/apache"
	write_if_changed "$HTTPD_CONF" <<-CONF
		# Written by unpress tests/wordpress/start.sh; run with: apache2 -f $HTTPD_CONF -k start
		ServerRoot "$STATE/apache"
		DefaultRuntimeDir "$RUN"
		PidFile "$HTTPD_PID"
		Listen 127.0.0.1:$PORT
		ServerName 127.0.0.1:$PORT
		# SERVER_PORT is always $PORT: $WP_CONFIG picks this instance's config by it
		UseCanonicalName On
		User www-data
		Group www-data

		LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
		LoadModule authz_core_module $m/mod_authz_core.so
		LoadModule mime_module $m/mod_mime.so
		LoadModule dir_module $m/mod_dir.so
		LoadModule alias_module $m/mod_alias.so
		LoadModule rewrite_module $m/mod_rewrite.so
		LoadModule php_module $php_so

		StartServers 2
		MinSpareServers 2
		MaxSpareServers 6
		MaxRequestWorkers 16
		MaxConnectionsPerChild 1000
		Timeout 60
		KeepAlive On

		ErrorLog "$LOGS/apache-error.log"
		LogLevel warn
		LogFormat "%h %t \"%r\" %>s %b %D" timed
		CustomLog "$LOGS/apache-access.log" timed

		TypesConfig /etc/mime.types
		AddDefaultCharset UTF-8
		DirectoryIndex index.php index.html
		<FilesMatch "\.php$">
		    SetHandler application/x-httpd-php
		</FilesMatch>
		php_admin_value memory_limit 256M
		php_admin_value upload_max_filesize 64M
		php_admin_value post_max_size 64M

		<Directory />
		    Options None
		    AllowOverride None
		    Require all denied
		</Directory>

		DocumentRoot "$WP_ROOT"
		<Directory "$WP_ROOT">
		    Options FollowSymLinks
		    # Ignore Debian's .htaccess (a symlink to /etc/wordpress/htaccess); the permalink
		    # rules WordPress would put there are here instead.
		    AllowOverride None
		    Require all granted
		    RewriteEngine On
		    RewriteBase /
		    RewriteRule ^index\.php$ - [L]
		    RewriteCond %{REQUEST_FILENAME} !-f
		    RewriteCond %{REQUEST_FILENAME} !-d
		    RewriteRule . /index.php [L]
		</Directory>

		Alias /wp-content "$CONTENT"
		<Directory "$CONTENT">
		    Options FollowSymLinks
		    AllowOverride None
		    Require all granted
		</Directory>
		<Directory "$CONTENT/uploads">
		    php_admin_flag engine off
		</Directory>
		<Directory "$WP_ROOT/wp-content">
		    Options FollowSymLinks
		    Require all granted
		</Directory>
	CONF
}

start_web() {
	local changed=$1
	if web_running; then
		if [[ -z $changed ]]; then
			say "Apache already running (pid $(pid_of "$HTTPD_PID"))"
			return 0
		fi
		say "Apache config changed; restarting Apache"
		stop_pid "$HTTPD_PID" "$HTTPD_CONF" "Apache"
	fi
	rm -f "$HTTPD_PID"
	kill_leftovers "$HTTPD_CONF" "Apache"
	if port_busy "$PORT"; then
		die "port 127.0.0.1:$PORT is already in use by another program; set UNPRESS_WP_PORT"
	fi
	apache2 -t -f "$HTTPD_CONF" >"$LOGS/apache-configtest.log" 2>&1 ||
		{ tail_log "$LOGS/apache-configtest.log"; die "Apache rejects $HTTPD_CONF"; }
	say "starting Apache on $URL"
	setsid apache2 -f "$HTTPD_CONF" -k start </dev/null >>"$LOGS/apache-start.log" 2>&1 ||
		{ tail_log "$LOGS/apache-start.log"; tail_log "$LOGS/apache-error.log"; die "apache2 -k start failed"; }
	local i
	for ((i = 0; i < 300; i++)); do
		web_running && port_busy "$PORT" && return 0
		sleep 0.1
	done
	tail_log "$LOGS/apache-error.log"
	die "Apache did not start listening on 127.0.0.1:$PORT within 30 s"
}

# ------------------------------------------------------------------------------------------
# WordPress install + content

wp_php() { (cd "$HERE" && php -d memory_limit=512M -d display_errors=stderr setup.php "$@"); }

seed_marker() {
	{ cat "$HERE/setup.php" "$HERE/mu-plugin.php"; echo "$URL"; } | sha256sum | cut -c1-16
}

ensure_seeded() {
	local want have
	want=$(seed_marker)
	have=$(sql -e "SELECT option_value FROM \`$DB_NAME\`.wp_options WHERE option_name='unpress_seed'" 2>/dev/null || true)
	if [[ $have == "$want" ]]; then
		say "WordPress already installed and seeded"
		return 0
	fi
	[[ -n $have ]] && say "seed script or URL changed: reinstalling WordPress from scratch"
	say "installing WordPress and seeding content (log: $LOGS/setup.log)"
	sql <<-SQL
		DROP DATABASE IF EXISTS \`$DB_NAME\`;
	SQL
	ensure_database
	rm -rf "$CONTENT/uploads" "$ENV_FILE"
	mkdir -p "$CONTENT/uploads"
	: >"$LOGS/setup.log"
	wp_php install "$URL" >>"$LOGS/setup.log" 2>&1 || { tail_log "$LOGS/setup.log"; die "WordPress install failed"; }
	wp_php seed "$URL" "$want" >>"$LOGS/setup.log" 2>&1 || { tail_log "$LOGS/setup.log"; die "seeding content failed"; }
	chown -R www-data:www-data "$CONTENT/uploads"
	say "$(grep '^seeded:' "$LOGS/setup.log" || echo seeded)"
}

curl_q() { curl -sS --max-time 30 "$@"; }

ensure_app_password() {
	local pw=
	if [[ -s $ENV_FILE ]]; then
		pw=$(sed -n 's/^UNPRESS_WP_APP_PASSWORD=//p' "$ENV_FILE")
		if [[ -n $pw ]] && [[ $(curl_q -o /dev/null -w '%{http_code}' -u "admin:$pw" "$URL/wp-json/wp/v2/users/me" || true) == 200 ]]; then
			APP_PASSWORD=$pw
			return 0
		fi
	fi
	APP_PASSWORD=$(wp_php app-password "$URL" 2>>"$LOGS/setup.log" | tail -n 1) ||
		{ tail_log "$LOGS/setup.log"; die "could not create an application password"; }
	[[ $APP_PASSWORD =~ ^[A-Za-z0-9]{24}$ ]] || die "unexpected application password '$APP_PASSWORD'"
}

wait_http() {
	local i code
	for ((i = 0; i < 300; i++)); do
		code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$URL/wp-json/" || true)
		[[ $code == 200 ]] && return 0
		sleep 0.1
	done
	tail_log "$LOGS/apache-error.log"
	die "$URL/wp-json/ did not answer 200 within 30 s (last status: $code)"
}

verify() {
	local out
	out=$(curl_q "$URL/wp-json/") || die "request failed: $URL/wp-json/"
	grep -q '"name"' <<<"$out" || die "$URL/wp-json/ is not the REST index: ${out:0:300}"
	out=$(curl_q -o /dev/null -D - "$URL/wp-json/wp/v2/posts?per_page=100") || die "request failed: $URL/wp-json/wp/v2/posts?per_page=100"
	grep -qi '^X-WP-Total: ' <<<"$out" || die "no X-WP-Total header on /wp-json/wp/v2/posts"
	out=$(curl_q -u "admin:$APP_PASSWORD" "$URL/wp-json/wp/v2/posts?status=private&_fields=id,slug") || die "request failed: $URL/wp-json/wp/v2/posts?status=private&_fields=id,slug"
	grep -q '"private-notes"' <<<"$out" || die "the private post is not visible with the application password: ${out:0:300}"
	out=$(curl_q "$URL/wp-json/wp/v2/posts?status=private&_fields=id,slug") || die "request failed: $URL/wp-json/wp/v2/posts?status=private&_fields=id,slug"
	! grep -q '"private-notes"' <<<"$out" || die "the private post is visible without authentication"
	out=$(curl_q "$URL/wp-json/wp/v2/media?per_page=1&_fields=id,media_details") || die "request failed: $URL/wp-json/wp/v2/media?per_page=1&_fields=id,media_details"
	grep -q '"sizes"' <<<"$out" || die "/wp-json/wp/v2/media has no media_details.sizes: ${out:0:300}"
	out=$(curl_q -o /dev/null -D - "$URL/") || die "request failed: $URL/"
	grep -qiF "Link: <$URL/wp-json/>; rel=\"https://api.w.org/\"" <<<"$out" ||
		die "the home page does not send the REST API Link header"
}

write_env() {
	local tmp
	tmp=$(mktemp "$ENV_FILE.XXXXXX")
	printf 'UNPRESS_WP_URL=%s\nUNPRESS_WP_USER=admin\nUNPRESS_WP_APP_PASSWORD=%s\n' "$URL" "$APP_PASSWORD" >"$tmp"
	chmod 644 "$tmp"
	mv -f "$tmp" "$ENV_FILE"
	cat "$ENV_FILE"
}

# ------------------------------------------------------------------------------------------

start() {
	[[ $EUID -eq 0 ]] || die "must run as root (installs packages, writes $WP_CONFIG, starts servers)"
	local t0=$SECONDS
	mkdir -p "$STATE" "$LOGS" "$RUN" "$STATE/tmp"
	chmod 755 "$STATE" "$RUN"
	chmod 1777 "$STATE/tmp"
	ensure_packages
	# Apache's children run as www-data: they need to reach the socket and wp-content.
	if ! runuser -u www-data -- test -x "$STATE"; then
		die "www-data cannot enter $STATE (a parent directory is not world-searchable); set UNPRESS_WP_DIR elsewhere"
	fi
	if [[ -f $RUN/url ]] && [[ $(cat "$RUN/url") != "$URL" ]] && web_running; then
		say "port changed from $(cat "$RUN/url"); restarting Apache"
		stop_pid "$HTTPD_PID" "$HTTPD_CONF" "Apache"
	fi
	if ! web_running; then
		kill_leftovers "$HTTPD_CONF" "Apache"
		port_busy "$PORT" && die "port 127.0.0.1:$PORT is already in use by another program; set UNPRESS_WP_PORT"
	fi
	start_db
	ensure_database
	write_wp_config
	prepare_content_dir
	local changed=
	write_httpd_conf && changed=1
	ensure_seeded
	start_web "$changed"
	echo "$URL" >"$RUN/url"
	wait_http
	ensure_app_password
	verify
	say "ready in $((SECONDS - t0)) s: $URL (logs in $LOGS; stop with: bash $HERE/start.sh stop)"
	write_env
}

status() {
	local ok=0
	if db_running; then
		echo "MariaDB: running, pid $(pid_of "$DB_PID"), socket $SOCK, port $(cat "$RUN/db.port" 2>/dev/null)"
	else
		echo "MariaDB: stopped"
		ok=1
	fi
	if web_running; then
		echo "Apache:  running, pid $(pid_of "$HTTPD_PID"), $(cat "$RUN/url" 2>/dev/null || echo "$URL")"
	else
		echo "Apache:  stopped"
		ok=1
	fi
	[[ -s $ENV_FILE ]] && cat "$ENV_FILE"
	exit $ok
}

case ${1:-start} in
start) start ;;
stop)
	stop_all
	say "stopped"
	;;
restart)
	stop_all
	start
	;;
status) status ;;
reset)
	stop_all
	if [[ -d $STATE ]]; then
		[[ -d $STATE/run && -d $STATE/logs ]] || die "$STATE does not look like an unpress-wp state directory; not deleting it"
		unlink_other_ports none
		rm -rf "$STATE"
		say "deleted $STATE"
	fi
	;;
*)
	echo "usage: $0 [start|stop|restart|status|reset]" >&2
	exit 2
	;;
esac
