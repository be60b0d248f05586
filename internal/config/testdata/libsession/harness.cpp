// harness.cpp replays the .script files in this folder against
// libsession-util and prints the .golden files: one line per push, merge,
// dump, state or read-back, in the format script_test.go prints.
//
// It was built against libsession-util 8762e9d33f6cde9ea610281d452ff7e778319ede
// (the commit client-protocol.md describes) and its oxen-encoding submodule
// a7de63756dcc5c31cb899a4b810e6434b1a7c01c, with Debian's libsodium 1.0.18,
// libzstd 1.5.4 and protobuf 3.21, roughly:
//
//	protoc --cpp_out=gen -I proto proto/SessionProtos.proto proto/WebSocketResources.proto
//	g++ -std=c++20 -Iinclude -Isrc -I<oxen-encoding> -Igen harness.cpp \
//	    src/config.cpp src/config/{base,encrypt,internal,contacts,user_profile}.cpp \
//	    src/config/{convo_info_volatile,community,protos}.cpp src/config/error.c \
//	    src/{session_encrypt,util,sodium_array,blinding,hash,ed25519,curve25519}.cpp \
//	    gen/*.pb.cc -lsodium -lzstd -lprotobuf
//
// (blinding.cpp references xed25519::pubkey, which needs libsodium
// internals; a stub that throws is enough, nothing here calls it.)
//
// Regenerate a golden file with: harness < x.script > x.golden
#include <oxenc/bt.h>
#include <oxenc/hex.h>
#include <sodium.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "config/internal.hpp"
#include "session/config/contacts.hpp"
#include "session/config/convo_info_volatile.hpp"
#include "session/config/encrypt.hpp"
#include "session/config/protos.hpp"
#include "session/config/user_profile.hpp"

using namespace session;
using namespace session::config;

template <typename Base>
struct Ctl : Base {
    bool compress = true;
    Ctl(ustring_view sk, std::optional<ustring_view> dump) : Base{sk, dump} {}
    std::optional<int> compression_level() const override {
        if (compress)
            return 1;
        return std::nullopt;
    }
};

struct Dev {
    std::string type;
    ustring sk;
    std::unique_ptr<ConfigBase> conf;
    bool* compress;
    ustring last_dump;
};

static ustring from_hex(const std::string& h) {
    ustring out;
    oxenc::from_hex(h.begin(), h.end(), std::back_inserter(out));
    return out;
}
static std::string hex(ustring_view v) {
    return oxenc::to_hex(v.begin(), v.end());
}

static void make(Dev& d, std::optional<ustring_view> dump) {
    if (d.type == "profile") {
        auto c = std::make_unique<Ctl<UserProfile>>(d.sk, dump);
        d.compress = &c->compress;
        d.conf = std::move(c);
    } else if (d.type == "contacts") {
        auto c = std::make_unique<Ctl<Contacts>>(d.sk, dump);
        d.compress = &c->compress;
        d.conf = std::move(c);
    } else if (d.type == "convo") {
        auto c = std::make_unique<Ctl<ConvoInfoVolatile>>(d.sk, dump);
        d.compress = &c->compress;
        d.conf = std::move(c);
    } else
        throw std::runtime_error{"bad type " + d.type};
}

// canonical_dump sorts the old-hash list, whose order libsession leaves to
// an unordered_set.
static std::string canonical_dump(ustring_view dump) {
    auto v = oxenc::bt_deserialize<oxenc::bt_dict>(from_unsigned_sv(dump));
    if (auto it = v.find(")"); it != v.end()) {
        auto& l = std::get<oxenc::bt_list>(it->second);
        std::vector<std::string> s;
        for (auto& e : l)
            if (auto* sv = std::get_if<std::string_view>(&e))
                s.push_back(std::string{*sv});
            else
                s.push_back(std::get<std::string>(e));
        std::sort(s.begin(), s.end());
        l.clear();
        for (auto& e : s)
            l.push_back(e);
    }
    auto out = oxenc::bt_serialize(v);
    return oxenc::to_hex(out.begin(), out.end());
}

static std::vector<std::string> split_path(const std::string& p) {
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        auto slash = p.find('/', start);
        auto part = p.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (part.rfind("0x", 0) == 0)
            part = oxenc::from_hex(part.substr(2));
        out.push_back(part);
        if (slash == std::string::npos)
            break;
        start = slash + 1;
    }
    return out;
}

template <typename F>
static void at_path(ConfigBase::DictFieldProxy&& f, const std::vector<std::string>& path, size_t i, F&& act) {
    if (i + 1 == path.size())
        act(std::move(f));
    else
        at_path(std::move(f)[path[i + 1]], path, i + 1, act);
}

template <typename F>
static void with_path(ConfigBase& c, const std::string& p, F&& act) {
    auto path = split_path(p);
    at_path(c.data[path[0]], path, 0, act);
}

int main() {
    sodium_init();
    std::map<std::string, Dev> devs;
    std::map<std::string, ustring> pushes;
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        std::istringstream in{line};
        std::string cmd, dn;
        in >> cmd >> dn;
        if (cmd == "new") {
            Dev d;
            std::string seed;
            in >> d.type >> seed;
            auto s = from_hex(seed);
            unsigned char pk[32], sk[64];
            crypto_sign_seed_keypair(pk, sk, s.data());
            d.sk.assign(sk, 64);
            make(d, std::nullopt);
            devs[dn] = std::move(d);
            continue;
        }
        auto& d = devs.at(dn);
        auto& c = *d.conf;
        if (cmd == "compress") {
            int on;
            in >> on;
            *d.compress = on;
        } else if (cmd == "name") {
            std::string n;
            in >> n;
            if (n == "-")
                n = "";
            dynamic_cast<UserProfile&>(c).set_name(n);
        } else if (cmd == "pic") {
            std::string url, key;
            in >> url >> key;
            dynamic_cast<UserProfile&>(c).set_profile_pic(url, from_hex(key));
        } else if (cmd == "nts") {
            int p;
            in >> p;
            dynamic_cast<UserProfile&>(c).set_nts_priority(p);
        } else if (cmd == "ntsexp") {
            int p;
            in >> p;
            dynamic_cast<UserProfile&>(c).set_nts_expiry(std::chrono::seconds{p});
        } else if (cmd == "msgreq") {
            int p;
            in >> p;
            std::optional<bool> v;
            if (p >= 0)
                v = p;
            dynamic_cast<UserProfile&>(c).set_blinded_msgreqs(v);
        } else if (cmd == "contact") {
            std::string sid, name, nick;
            int a, am, b, prio, notify, expmode, expsecs;
            int64_t created, mute;
            in >> sid >> name >> nick >> a >> am >> b >> prio >> notify >> mute >> expmode >>
                    expsecs >> created;
            auto& cs = dynamic_cast<Contacts&>(c);
            auto ci = cs.get_or_construct(sid);
            ci.name = name == "-" ? "" : name;
            ci.nickname = nick == "-" ? "" : nick;
            ci.approved = a;
            ci.approved_me = am;
            ci.blocked = b;
            ci.priority = prio;
            ci.notifications = static_cast<notify_mode>(notify);
            ci.mute_until = mute;
            ci.exp_mode = static_cast<expiration_mode>(expmode);
            ci.exp_timer = std::chrono::seconds{expsecs};
            ci.created = created;
            cs.set(ci);
        } else if (cmd == "cpic") {
            std::string sid, url, key;
            in >> sid >> url >> key;
            auto& cs = dynamic_cast<Contacts&>(c);
            cs.set_profile_pic(sid, profile_pic{url, from_hex(key)});
        } else if (cmd == "cerase") {
            std::string sid;
            in >> sid;
            dynamic_cast<Contacts&>(c).erase(sid);
        } else if (cmd == "convo") {
            std::string sid;
            int64_t lr;
            int unread;
            in >> sid >> lr >> unread;
            auto& cv = dynamic_cast<ConvoInfoVolatile&>(c);
            auto o = cv.get_or_construct_1to1(sid);
            o.last_read = lr;
            o.unread = unread;
            cv.set(o);
        } else if (cmd == "convoerase") {
            std::string sid;
            in >> sid;
            dynamic_cast<ConvoInfoVolatile&>(c).erase_1to1(sid);
        } else if (cmd == "raw" || cmd == "rawadd" || cmd == "rawdel") {
            std::string path, val;
            in >> path >> val;
            with_path(c, path, [&](ConfigBase::DictFieldProxy&& f) {
                if (val == "-")
                    f.erase();
                else if (val[0] == 'i') {
                    int64_t n = std::stoll(val.substr(2));
                    if (cmd == "raw")
                        f = n;
                    else if (cmd == "rawadd")
                        f.set_insert(n);
                    else
                        f.set_erase(n);
                } else {
                    auto v = val.substr(2);
                    if (cmd == "raw")
                        f = std::string_view{v};
                    else if (cmd == "rawadd")
                        f.set_insert(std::string_view{v});
                    else
                        f.set_erase(std::string_view{v});
                }
            });
        } else if (cmd == "rawshow") {
            auto dump = c.make_dump();
            auto outer = oxenc::bt_deserialize<oxenc::bt_dict>(from_unsigned_sv(dump));
            auto& dv = outer["$"];
            std::string ds = std::holds_alternative<std::string>(dv) ? std::get<std::string>(dv) : std::string{std::get<std::string_view>(dv)};
            auto msg = oxenc::bt_deserialize<oxenc::bt_dict>(ds);
            auto data = oxenc::bt_serialize(msg["&"]);
            std::cout << "rawshow " << dn << " " << oxenc::to_hex(data.begin(), data.end()) << "\n";
        } else if (cmd == "blob" || cmd == "blobenc") {
            std::string pname, h;
            in >> pname >> h;
            auto b = from_hex(h);
            if (cmd == "blobenc") {
                pad_message(b);
                b = encrypt(b, d.sk.substr(0, 32), c.encryption_domain());
            }
            pushes[pname] = b;
        } else if (cmd == "pushfull") {
            auto [seqno, data, obs] = c.push();
            auto inner = protos::unwrap_config(d.sk, data, c.storage_namespace());
            auto padded = decrypt(inner, d.sk.substr(0, 32), c.encryption_domain());
            std::cout << "pushfull " << dn << " seqno=" << seqno << " data=" << hex(data) << " inner=" << hex(inner) << " padded=" << hex(padded) << " obs=" << obs.size() << "\n";
        } else if (cmd == "push") {
            std::string pname;
            in >> pname;
            auto [seqno, data, obs] = c.push();
            pushes[pname] = data;
            std::sort(obs.begin(), obs.end());
            auto inner = protos::unwrap_config(d.sk, data, c.storage_namespace());
            auto padded = decrypt(inner, d.sk.substr(0, 32), c.encryption_domain());
            auto p = padded.find_first_not_of((unsigned char)0);
            auto plain = padded.substr(p);
            bool z = plain[0] == 'z';
            if (z)
                plain = *zstd_decompress(plain.substr(1));
            std::cout << "push " << dn << " " << pname << " seqno=" << seqno
                      << " plain=" << hex(plain) << " data=" << (z ? "compressed" : hex(data))
                      << " obsolete=";
            for (size_t i = 0; i < obs.size(); i++)
                std::cout << (i ? "," : "") << obs[i];
            std::cout << "\n";
        } else if (cmd == "confirm") {
            int64_t seqno;
            std::string h;
            in >> seqno >> h;
            c.confirm_pushed(seqno, h);
        } else if (cmd == "merge") {
            std::vector<std::pair<std::string, ustring>> msgs;
            std::string tok;
            while (in >> tok) {
                auto colon = tok.find(':');
                msgs.emplace_back(tok.substr(colon + 1), pushes.at(tok.substr(0, colon)));
            }
            auto acc = c.merge(msgs);
            std::cout << "merge " << dn << " accepted=";
            for (size_t i = 0; i < acc.size(); i++)
                std::cout << (i ? "," : "") << acc[i];
            std::cout << "\n";
        } else if (cmd == "dump") {
            d.last_dump = c.dump();
            std::cout << "dump " << dn << " " << canonical_dump(d.last_dump) << "\n";
        } else if (cmd == "load") {
            std::string from;
            in >> from;
            auto& src = devs.at(from);
            d.type = src.type;
            make(d, ustring_view{src.last_dump});
        } else if (cmd == "state") {
            std::cout << "state " << dn << " needs_push=" << c.needs_push()
                      << " dirty=" << c.is_dirty() << " hashes=";
            auto hs = c.current_hashes();
            for (size_t i = 0; i < hs.size(); i++)
                std::cout << (i ? "," : "") << hs[i];
            std::cout << "\n";
        } else if (cmd == "show") {
            std::cout << "show " << dn;
            if (auto* up = dynamic_cast<UserProfile*>(&c)) {
                auto pic = up->get_profile_pic();
                std::cout << " name=" << up->get_name().value_or("") << " pic=" << pic.url << "/"
                          << hex(pic.key) << " nts=" << up->get_nts_priority()
                          << " ntsexp=" << up->get_nts_expiry().value_or(0s).count()
                          << " msgreq="
                          << (up->get_blinded_msgreqs() ? (int)*up->get_blinded_msgreqs() : -1);
            } else if (auto* cs = dynamic_cast<Contacts*>(&c)) {
                for (auto& ci : *cs)
                    std::cout << " " << ci.session_id << "{" << ci.name << "|" << ci.nickname
                              << "|" << ci.profile_picture.url << "/"
                              << hex(ci.profile_picture.key) << "|" << ci.approved
                              << ci.approved_me << ci.blocked << "|" << ci.priority << "|"
                              << (int)ci.notifications << "|" << ci.mute_until << "|"
                              << (int)ci.exp_mode << "|" << ci.exp_timer.count() << "|"
                              << ci.created << "}";
            } else if (auto* cv = dynamic_cast<ConvoInfoVolatile*>(&c)) {
                for (auto it = cv->begin_1to1(); it != cv->end(); ++it)
                    std::cout << " " << it->session_id << "{" << it->last_read << "|"
                              << it->unread << "}";
            }
            std::cout << "\n";
        } else
            throw std::runtime_error{"bad command " + cmd};
    }
}
