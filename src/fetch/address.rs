//! Which network addresses a request may reach: the public internet always, loopback, private
//! and link-local networks only when the site itself lives on one.
//!
//! A post or a media entry from a stranger can name any URL; without this, `fetch` or `convert`
//! would request `http://169.254.169.254/` (a cloud's metadata service) or a router's admin page
//! on the user's own network. Names are checked after they are resolved (by the resolver
//! below), so a public name pointing at a private address is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The kinds of address besides the public internet that requests may reach.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Reach {
    pub loopback: bool,
    pub private: bool,
    pub link_local: bool,
}

/// What kind of network an address belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Class {
    Public,
    /// `127.0.0.0/8`, `::1`, and the unspecified `0.0.0.0`/`::` (which reach this machine).
    Loopback,
    /// RFC 1918, carrier-grade NAT, benchmarking, IPv6 unique-local and site-local.
    Private,
    /// `169.254.0.0/16` (where cloud metadata services answer), `fe80::/10`.
    LinkLocal,
    /// Multicast, broadcast, reserved: never a web server.
    Never,
}

impl Class {
    pub fn describe(self) -> &'static str {
        match self {
            Class::Public => "public",
            Class::Loopback => "loopback (this machine)",
            Class::Private => "private-network",
            Class::LinkLocal => "link-local",
            Class::Never => "multicast or reserved",
        }
    }
}

pub fn class(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => class_v4(v4),
        IpAddr::V6(v6) => class_v6(v6),
    }
}

fn class_v4(ip: Ipv4Addr) -> Class {
    let [a, b, _, _] = ip.octets();
    match (a, b) {
        (0, _) | (127, _) => Class::Loopback,
        (10, _) | (192, 168) => Class::Private,
        (172, 16..=31) | (100, 64..=127) | (198, 18..=19) => Class::Private,
        (169, 254) => Class::LinkLocal,
        (224..=255, _) => Class::Never,
        _ => Class::Public,
    }
}

fn class_v6(ip: Ipv6Addr) -> Class {
    if ip.is_loopback() || ip.is_unspecified() {
        return Class::Loopback;
    }
    // Forms that carry an IPv4 address: mapped, compatible, 6to4 and NAT64 reach it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return class_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
    if s[..6] == [0; 6] {
        return class_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return class_v4(embedded(s[1], s[2]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return class_v4(embedded(s[6], s[7]));
    }
    match s[0] {
        x if x & 0xffc0 == 0xfe80 => Class::LinkLocal,
        x if x & 0xfe00 == 0xfc00 || x & 0xffc0 == 0xfec0 => Class::Private,
        x if x & 0xff00 == 0xff00 => Class::Never,
        _ => Class::Public,
    }
}

impl Reach {
    /// Public addresses only: what a saved file from a stranger may make unpress request.
    pub const PUBLIC: Reach = Reach {
        loopback: false,
        private: false,
        link_local: false,
    };

    pub fn allows(self, c: Class) -> bool {
        match c {
            Class::Public => true,
            Class::Loopback => self.loopback,
            Class::Private => self.private,
            Class::LinkLocal => self.link_local,
            Class::Never => false,
        }
    }

    /// What a site on these addresses may use besides the public internet: its own kind of
    /// network (a site on 127.0.0.1 may serve its images from 127.0.0.1).
    pub fn of_site(addrs: impl IntoIterator<Item = IpAddr>) -> Reach {
        let mut r = Reach::PUBLIC;
        for ip in addrs {
            match class(ip) {
                Class::Loopback => r.loopback = true,
                Class::Private => r.private = true,
                Class::LinkLocal => r.link_local = true,
                Class::Public | Class::Never => {}
            }
        }
        r
    }

    /// The reach of a site named by its host: an address written in the URL, `localhost`, or
    /// whatever the name resolves to (nothing beyond the public internet when it does not).
    pub async fn of_host(host: &url::Host<&str>) -> Reach {
        match host {
            url::Host::Ipv4(v4) => Reach::of_site([IpAddr::V4(*v4)]),
            url::Host::Ipv6(v6) => Reach::of_site([IpAddr::V6(*v6)]),
            url::Host::Domain(name) => match tokio::net::lookup_host((*name, 0)).await {
                Ok(addrs) => Reach::of_site(addrs.map(|a| a.ip())),
                Err(_) => Reach::PUBLIC,
            },
        }
    }

    /// The refusal for an address this reach does not allow.
    pub fn check(self, host: &str, ip: IpAddr) -> Result<(), Refused> {
        let c = class(ip);
        if self.allows(c) {
            Ok(())
        } else {
            Err(Refused {
                host: host.to_string(),
                addr: ip,
                class: c,
            })
        }
    }
}

/// A request not made because of where it would have gone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "refused: {host} is a {} address ({addr}); unpress reaches private networks only when the site itself is on one",
    class.describe()
)]
pub struct Refused {
    pub host: String,
    pub addr: IpAddr,
    pub class: Class,
}

/// Resolves names as the system does, then keeps only the addresses the reach allows: checked
/// here, at connection time, a name cannot pass a check and then resolve elsewhere.
pub struct Resolver {
    pub reach: Reach,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = self.reach;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match reach.check(&host, a.ip()) {
                    Ok(()) => true,
                    Err(r) => {
                        refused.get_or_insert(r);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(r)) => Err(Box::new(r) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Class {
        class(s.parse().unwrap())
    }

    #[test]
    fn addresses_fall_in_their_classes() {
        for (a, want) in [
            ("8.8.8.8", Class::Public),
            ("127.0.0.1", Class::Loopback),
            ("0.0.0.0", Class::Loopback),
            ("10.1.2.3", Class::Private),
            ("172.20.0.1", Class::Private),
            ("172.32.0.1", Class::Public),
            ("192.168.1.1", Class::Private),
            ("100.100.1.1", Class::Private),
            ("169.254.169.254", Class::LinkLocal),
            ("224.0.0.1", Class::Never),
            ("255.255.255.255", Class::Never),
            ("::1", Class::Loopback),
            ("::", Class::Loopback),
            ("::ffff:169.254.169.254", Class::LinkLocal),
            ("::ffff:8.8.8.8", Class::Public),
            ("::127.0.0.1", Class::Loopback),
            ("2002:a9fe:a9fe::1", Class::LinkLocal),
            ("64:ff9b::a00:1", Class::Private),
            ("fe80::1", Class::LinkLocal),
            ("fd00::1", Class::Private),
            ("ff02::1", Class::Never),
            ("2001:db8::1", Class::Public),
        ] {
            assert_eq!(c(a), want, "{a}");
        }
    }

    #[test]
    fn a_site_on_loopback_may_use_loopback_and_nothing_else_private() {
        let r = Reach::of_site(["127.0.0.1".parse().unwrap()]);
        assert!(r.allows(Class::Loopback) && r.allows(Class::Public));
        assert!(!r.allows(Class::Private) && !r.allows(Class::LinkLocal));
        assert!(!Reach::PUBLIC.allows(Class::Loopback));
        let e = Reach::PUBLIC
            .check("169.254.169.254", "169.254.169.254".parse().unwrap())
            .unwrap_err();
        assert!(e.to_string().contains("link-local"), "{e}");
    }
}
