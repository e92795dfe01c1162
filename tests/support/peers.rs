//! Real servers from the distribution, started with their own configuration in a temporary
//! directory on a loopback port, when installed (`ci/test.sh` installs them): Apache httpd with
//! mod_auth_digest, and squid with Basic proxy authentication. Each runs under a small shell
//! watcher that stops it when this process's end closes the watcher's standard input, so nothing
//! outlives the tests. `None` (with the reason on stderr) when the server is missing or does not
//! come up; the C tests then skip, saying so.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (bound then released).
fn free_port() -> Option<u16> {
    TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok().map(|a| a.port())
}

/// Starts `command` (a shell command line running a server in the foreground) under a watcher
/// that kills it when its standard input closes, then waits up to 10 s for `port` to accept.
fn watched(name: &str, command: &str, port: u16) -> Option<Child> {
    let script =
        format!("{command} & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; sleep 1; kill -9 $pid 2>/dev/null");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(child);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("{name} did not come up on 127.0.0.1:{port}");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.flush();
    }
    let _ = child.wait();
    None
}

/// A directory the server's unprivileged user (www-data, proxy) can write logs and pid files to.
fn shared_dir(base: &Path, name: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let dir = base.join(name);
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).ok()?;
    Some(dir)
}

/// Apache httpd: `/digest/hello.txt` behind Digest (MD5, `qop=auth`) for `user`/`pwd`, realm
/// `winhttp`; anything else is served without authentication.
pub fn apache(base: &Path) -> Option<(u16, Child)> {
    let bin = "/usr/sbin/apache2";
    let modules = "/usr/lib/apache2/modules";
    if !Path::new(bin).exists() {
        eprintln!("Apache httpd not installed (apt-get install apache2): Digest tests skip");
        return None;
    }
    let dir = shared_dir(base, "apache")?;
    let docs = dir.join("htdocs/digest");
    std::fs::create_dir_all(&docs).ok()?;
    std::fs::write(docs.join("hello.txt"), "digest ok\n").ok()?;
    // htdigest's format: user:realm:MD5("user:realm:password").
    let ha1 = Command::new("sh").arg("-c").arg("printf '%s' 'user:winhttp:pwd' | md5sum").output().ok()?;
    let ha1 = String::from_utf8_lossy(&ha1.stdout).split_whitespace().next()?.to_string();
    std::fs::write(dir.join("htdigest"), format!("user:winhttp:{ha1}\n")).ok()?;
    let port = free_port()?;
    let d = dir.display();
    let conf = format!(
        "ServerName 127.0.0.1\nListen 127.0.0.1:{port}\nPidFile {d}/httpd.pid\nErrorLog {d}/error.log\n\
         DefaultRuntimeDir {d}\nMutex file:{d} default\n\
         LoadModule mpm_event_module {modules}/mod_mpm_event.so\n\
         LoadModule authz_core_module {modules}/mod_authz_core.so\n\
         LoadModule authz_user_module {modules}/mod_authz_user.so\n\
         LoadModule authn_core_module {modules}/mod_authn_core.so\n\
         LoadModule authn_file_module {modules}/mod_authn_file.so\n\
         LoadModule auth_digest_module {modules}/mod_auth_digest.so\n\
         User www-data\nGroup www-data\nDocumentRoot {d}/htdocs\n\
         <Directory {d}/htdocs>\n  Require all granted\n</Directory>\n\
         <Location /digest/>\n  AuthType Digest\n  AuthName \"winhttp\"\n  AuthDigestProvider file\n\
           AuthUserFile {d}/htdigest\n  Require valid-user\n</Location>\n"
    );
    std::fs::write(dir.join("httpd.conf"), conf).ok()?;
    let child = watched("Apache httpd", &format!("{bin} -f {d}/httpd.conf -DFOREGROUND"), port)?;
    Some((port, child))
}

/// squid: a forward proxy (plain requests and CONNECT to any port) that wants Basic credentials
/// `user`/`pwd`, caching nothing.
pub fn squid(base: &Path) -> Option<(u16, Child)> {
    let bin = "/usr/sbin/squid";
    let helper = "/usr/lib/squid/basic_ncsa_auth";
    if !Path::new(bin).exists() || !Path::new(helper).exists() {
        eprintln!("squid not installed (apt-get install squid): proxy authentication tests skip");
        return None;
    }
    let dir = shared_dir(base, "squid")?;
    let hash = Command::new("openssl").args(["passwd", "-apr1", "pwd"]).output().ok()?;
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
    if hash.is_empty() {
        eprintln!("squid: openssl passwd failed: proxy authentication tests skip");
        return None;
    }
    std::fs::write(dir.join("passwd"), format!("user:{hash}\n")).ok()?;
    let port = free_port()?;
    let d = dir.display();
    let conf = format!(
        "http_port 127.0.0.1:{port}\npid_filename {d}/squid.pid\ncache_log {d}/cache.log\n\
         access_log {d}/access.log\ncoredump_dir {d}\ncache deny all\ncache_mem 8 MB\n\
         netdb_filename none\npinger_enable off\nshutdown_lifetime 0 seconds\n\
         auth_param basic program {helper} {d}/passwd\nauth_param basic realm winhttp-proxy\n\
         acl authed proxy_auth REQUIRED\nhttp_access allow authed\nhttp_access deny all\n"
    );
    std::fs::write(dir.join("squid.conf"), conf).ok()?;
    let child = watched("squid", &format!("{bin} -N -f {d}/squid.conf"), port)?;
    Some((port, child))
}

/// nginx with `gzip on` for `text/plain`: `/big.txt` (numbered lines, about 1 MiB) and
/// `/small.txt` (one line), compressed on the fly (chunked) when the request accepts gzip.
pub fn nginx_gzip(base: &Path) -> Option<(u16, Child)> {
    let bin = "/usr/sbin/nginx";
    if !Path::new(bin).exists() {
        eprintln!("nginx not installed (apt-get install nginx): gzip tests against nginx skip");
        return None;
    }
    let dir = shared_dir(base, "nginx")?;
    let www = dir.join("www");
    std::fs::create_dir_all(&www).ok()?;
    let big: String = (0..40_000u32).map(|i| format!("nginx line {i} of the body, {}\n", i * 7919 % 1000)).collect();
    std::fs::write(www.join("big.txt"), big).ok()?;
    std::fs::write(www.join("small.txt"), "a small text file\n").ok()?;
    let port = free_port()?;
    let d = dir.display();
    // SAFETY: geteuid has no preconditions.
    let user = if unsafe { geteuid() } == 0 { "user root;\n" } else { "" };
    let conf = format!(
        "{user}worker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  default_type text/plain;\n  types {{ text/plain txt; }}\n\
           client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n\
           uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           gzip on;\n  gzip_types text/plain;\n  gzip_min_length 1;\n  gzip_http_version 1.0;\n\
           server {{\n    listen 127.0.0.1:{port};\n    root {d}/www;\n  }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).ok()?;
    let child = watched("nginx", &format!("{bin} -p {d}/ -e {d}/error.log -c {d}/nginx.conf"), port)?;
    Some((port, child))
}

unsafe extern "C" {
    fn geteuid() -> u32;
}

/// nginx over TLS with HTTP/2 offered in ALPN (and HTTP/1.1), on a loopback port: `/static/`
/// from a directory (a 1 MiB `big.bin`; `lines.txt`, 20,000 lines `h2 line <i>`, also under `/gz/`
/// with `gzip on`), everything else proxied to the test HTTP/1.1 server at
/// `backend`. The access log (`nginx_h2/access.log`) starts each line with nginx's connection
/// serial number and the protocol, so a test can count the connections its requests used.
pub fn nginx(base: &Path, backend: u16) -> Option<(u16, Child, std::path::PathBuf)> {
    let bin = "/usr/sbin/nginx";
    if !Path::new(bin).exists() {
        eprintln!("nginx not installed (apt-get install nginx): HTTP/2 tests skip");
        return None;
    }
    let dir = shared_dir(base, "nginx_h2")?;
    let stat = dir.join("static");
    std::fs::create_dir_all(&stat).ok()?;
    std::fs::write(stat.join("hello.txt"), "hello over h2\n").ok()?;
    std::fs::write(stat.join("big.bin"), (0..(1u32 << 20)).map(|i| (i % 251) as u8).collect::<Vec<_>>()).ok()?;
    let lines: String = (0..20_000u32).map(|i| format!("h2 line {i}\n")).collect();
    std::fs::write(stat.join("lines.txt"), lines).ok()?;
    let port = free_port()?;
    let (d, pki) = (dir.display(), base.display());
    let conf = format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 8192; }}\n\
         http {{\n  log_format conn '$connection $server_protocol $request_method $request_uri $status';\n\
           access_log {d}/access.log conn;\n\
           client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fcgi;\n\
           uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           keepalive_requests 1000000;\n  http2_max_concurrent_streams 128;\n\
           server {{\n    listen 127.0.0.1:{port} ssl http2;\n\
             ssl_certificate {pki}/server.pem;\n    ssl_certificate_key {pki}/server.key;\n\
             location /static/ {{ alias {d}/static/; }}\n\
             location /gz/ {{ alias {d}/static/; gzip on; gzip_types text/plain; gzip_min_length 1; }}\n\
             location / {{ proxy_pass http://127.0.0.1:{backend}; proxy_http_version 1.1; \
         proxy_set_header Connection \"\"; proxy_buffering off; proxy_request_buffering off; }}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).ok()?;
    let child = watched("nginx", &format!("{bin} -c {d}/nginx.conf -p {d}"), port)?;
    Some((port, child, dir.join("access.log")))
}
