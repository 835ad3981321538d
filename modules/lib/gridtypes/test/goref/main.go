// A reference renderer written against Go's own standard library (encoding/json, net, fmt, sort,
// encoding/hex), following the challenge rules of ZOS-REFERENCE §3.3 with struct shapes and JSON tags
// as the node declares them. The differential test (goref.test.ts) feeds the same documents here and
// to the TypeScript model and compares every challenge byte and every accept/reject decision, so the
// Go semantics the node relies on (case-insensitive keys, number ranges, IP/CIDR parsing and printing,
// %x, sort.Strings, invalid UTF-8 handling) are checked against the real thing, not a description.
//
// Input (stdin or the file named by the first argument): one JSON line per request, {"kind":"deployment"|"ip"|"cidr","text":"..."}.
// Output: one line per request, "OK <hex of the rendering>" or "ERR".
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"sort"
	"time"
)

type ipnet struct{ n net.IPNet }

func (i *ipnet) UnmarshalText(t []byte) error {
	if len(t) == 0 {
		i.n = net.IPNet{}
		return nil
	}
	ip, n, err := net.ParseCIDR(string(t))
	if err != nil {
		return err
	}
	n.IP = ip
	i.n = *n
	return nil
}

func (i ipnet) String() string { return i.n.String() }

type hexBytes []byte

func (h *hexBytes) UnmarshalText(t []byte) error {
	b, err := hex.DecodeString(string(t))
	if err != nil {
		return err
	}
	*h = b
	return nil
}

type timestamp int64

func (t *timestamp) UnmarshalJSON(data []byte) error {
	var u int64
	if err := json.Unmarshal(data, &u); err == nil {
		*t = timestamp(u)
		return nil
	}
	var v time.Time
	if err := json.Unmarshal(data, &v); err == nil {
		*t = timestamp(v.Unix())
		return nil
	}
	return fmt.Errorf("bad timestamp")
}

type workload struct {
	Version     uint32          `json:"version"`
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Data        json.RawMessage `json:"data"`
	Metadata    string          `json:"metadata"`
	Description string          `json:"description"`
	Result      struct {
		Created timestamp       `json:"created"`
		State   string          `json:"state"`
		Error   string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"result"`
}

type deployment struct {
	Version     uint32    `json:"version"`
	TwinID      uint32    `json:"twin_id"`
	ContractID  uint64    `json:"contract_id"`
	Metadata    string    `json:"metadata"`
	Description string    `json:"description"`
	Expiration  timestamp `json:"expiration"`
	Sig         struct {
		Requests []struct {
			TwinID   uint32 `json:"twin_id"`
			Required bool   `json:"required"`
			Weight   uint   `json:"weight"`
		} `json:"requests"`
		WeightRequired uint `json:"weight_required"`
		Signatures     []struct {
			TwinID        uint32 `json:"twin_id"`
			Signature     string `json:"signature"`
			SignatureType string `json:"signature_type"`
		} `json:"signatures"`
		Style string `json:"signature_style"`
	} `json:"signature_requirement"`
	Workloads []workload `json:"workloads"`
}

type peer struct {
	Subnet     ipnet   `json:"subnet"`
	PublicKey  string  `json:"wireguard_public_key"`
	AllowedIPs []ipnet `json:"allowed_ips"`
	Endpoint   string  `json:"endpoint"`
}

type mycelium struct {
	Key   hexBytes `json:"hex_key"`
	Peers []string `json:"peers"`
}

type network struct {
	IPRange ipnet     `json:"ip_range"`
	Subnet  ipnet     `json:"subnet"`
	Key     string    `json:"wireguard_private_key"`
	Port    uint16    `json:"wireguard_listen_port"`
	Peers   []peer    `json:"peers"`
	My      *mycelium `json:"mycelium"`
}

type networkLight struct {
	Subnet  ipnet    `json:"subnet"`
	My      mycelium `json:"mycelium"`
	IPRange ipnet    `json:"ip_range"`
	Key     string   `json:"wireguard_private_key"`
	Port    uint16   `json:"wireguard_listen_port"`
	Peers   []peer   `json:"peers"`
}

type myceliumIP struct {
	Network string
	Seed    hexBytes `json:"hex_seed"`
}

type compute = struct {
	CPU    uint8  `json:"cpu"`
	Memory uint64 `json:"memory"`
}

type mount = struct {
	Name       string `json:"name"`
	Mountpoint string `json:"mountpoint"`
}

type iface = struct {
	Network string `json:"network"`
	IP      net.IP `json:"ip"`
}

type zmachine struct {
	Flist   string `json:"flist"`
	Network struct {
		PublicIP   string      `json:"public_ip"`
		Planetary  bool        `json:"planetary"`
		My         *myceliumIP `json:"mycelium"`
		Interfaces []iface     `json:"interfaces"`
	} `json:"network"`
	Size    uint64  `json:"size"`
	Compute compute `json:"compute_capacity"`
	Mounts  []mount `json:"mounts"`
	Entrypoint string            `json:"entrypoint"`
	Env        map[string]string `json:"env"`
	Corex      bool              `json:"corex"`
	GPU        []string          `json:"gpu"`
}

type zmachineLight struct {
	Flist   string `json:"flist"`
	Network struct {
		My         *myceliumIP `json:"mycelium"`
		Interfaces []iface     `json:"interfaces"`
	} `json:"network"`
	Size    uint64 `json:"size"`
	Compute compute `json:"compute_capacity"`
	Mounts  []mount `json:"mounts"`
	Entrypoint string            `json:"entrypoint"`
	Env        map[string]string `json:"env"`
	Corex      bool              `json:"corex"`
	GPU        []string          `json:"gpu"`
}

type zdb struct {
	Size     uint64 `json:"size"`
	Mode     string `json:"mode"`
	Password string `json:"password"`
	Public   bool   `json:"public"`
}

type backend struct {
	Address   string `json:"address"`
	Namespace string `json:"namespace"`
	Password  string `json:"password"`
}

type encryption struct {
	Algorithm string   `json:"algorithm"`
	Key       hexBytes `json:"key"`
}

type qsfs struct {
	Cache  uint64 `json:"cache"`
	Config struct {
		MinimalShards         uint32     `json:"minimal_shards"`
		ExpectedShards        uint32     `json:"expected_shards"`
		RedundantGroups       uint32     `json:"redundant_groups"`
		RedundantNodes        uint32     `json:"redundant_nodes"`
		MaxZDBDataDirSize     uint32     `json:"max_zdb_data_dir_size"`
		Encryption            encryption `json:"encryption"`
		Meta                  struct {
			Type   string `json:"type"`
			Config struct {
				Prefix     string     `json:"prefix"`
				Encryption encryption `json:"encryption"`
				Backends   []backend  `json:"backends"`
			} `json:"config"`
		} `json:"meta"`
		Groups []struct {
			Backends []backend `json:"backends"`
		} `json:"groups"`
		Compression struct {
			Algorithm string `json:"algorithm"`
		} `json:"compression"`
	} `json:"config"`
}

type gateway struct {
	Name     string   `json:"name"`
	FQDN     string   `json:"fqdn"`
	TLS      bool     `json:"tls_passthrough"`
	Backends []string `json:"backends"`
	Network  *string  `json:"network"`
}

func peers(w *bytes.Buffer, ps []peer) {
	for _, p := range ps {
		fmt.Fprintf(w, "%s%s%s", p.PublicKey, p.Endpoint, p.Subnet.String())
		for _, a := range p.AllowedIPs {
			fmt.Fprintf(w, "%s", a.String())
		}
	}
}

func data(w *bytes.Buffer, typ string, raw json.RawMessage) error {
	switch typ {
	case "zmount", "volume":
		var v struct {
			Size uint64 `json:"size"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		fmt.Fprintf(w, "%d", v.Size)
	case "network":
		var v network
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s%s%s%d", v.IPRange.String(), v.Subnet.String(), v.Key, v.Port)
		peers(w, v.Peers)
		if v.My != nil {
			fmt.Fprintf(w, "%x", []byte(v.My.Key))
			for _, p := range v.My.Peers {
				fmt.Fprintf(w, "%s", p)
			}
		}
	case "network-light":
		var v networkLight
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s%s%s%d", v.IPRange.String(), v.Subnet.String(), v.Key, v.Port)
		peers(w, v.Peers)
		fmt.Fprintf(w, "%x", []byte(v.My.Key))
		for _, p := range v.My.Peers {
			fmt.Fprintf(w, "%s", p)
		}
	case "ipv4":
		var v struct{}
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
	case "ip":
		var v struct {
			V4 bool `json:"v4"`
			V6 bool `json:"v6"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		fmt.Fprintf(w, "%t%t", v.V4, v.V6)
	case "zdb":
		var v zdb
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		fmt.Fprintf(w, "%d%s%s%t", v.Size, v.Mode, v.Password, v.Public)
	case "zlogs":
		var v struct {
			ZMachine string `json:"zmachine"`
			Output   string `json:"output"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s%s", v.ZMachine, v.Output)
	case "zmachine", "zmachine-light":
		var v zmachine
		if typ == "zmachine" {
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
		} else {
			// the light network struct has no public_ip/planetary fields
			var l zmachineLight
			if err := json.Unmarshal(raw, &l); err != nil {
				return err
			}
			v.Flist, v.Size, v.Compute, v.Mounts, v.Entrypoint, v.Env, v.GPU = l.Flist, l.Size, l.Compute, l.Mounts, l.Entrypoint, l.Env, l.GPU
			v.Network.My, v.Network.Interfaces = l.Network.My, l.Network.Interfaces
		}
		fmt.Fprintf(w, "%s", v.Flist)
		if typ == "zmachine" {
			fmt.Fprintf(w, "%s%t", v.Network.PublicIP, v.Network.Planetary)
		}
		for _, i := range v.Network.Interfaces {
			fmt.Fprintf(w, "%s%s", i.Network, i.IP.String())
		}
		if v.Network.My != nil {
			fmt.Fprintf(w, "%s%x", v.Network.My.Network, []byte(v.Network.My.Seed))
		}
		fmt.Fprintf(w, "%d%d%d", v.Size, v.Compute.CPU, v.Compute.Memory)
		for _, m := range v.Mounts {
			fmt.Fprintf(w, "%s%s", m.Name, m.Mountpoint)
		}
		fmt.Fprintf(w, "%s", v.Entrypoint)
		keys := make([]string, 0, len(v.Env))
		for k := range v.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s=%s", k, v.Env[k])
		}
		for _, g := range v.GPU {
			fmt.Fprintf(w, "%s", g)
		}
	case "qsfs":
		var v qsfs
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		c := v.Config
		fmt.Fprintf(w, "%d%d%d%d%d%d", v.Cache, c.MinimalShards, c.ExpectedShards, c.RedundantGroups, c.RedundantNodes, c.MaxZDBDataDirSize)
		fmt.Fprintf(w, "%s%x", c.Encryption.Algorithm, []byte(c.Encryption.Key))
		fmt.Fprintf(w, "%s%s%s%x", c.Meta.Type, c.Meta.Config.Prefix, c.Meta.Config.Encryption.Algorithm, []byte(c.Meta.Config.Encryption.Key))
		for _, b := range c.Meta.Config.Backends {
			fmt.Fprintf(w, "%s%s%s", b.Address, b.Namespace, b.Password)
		}
		for _, g := range c.Groups {
			for _, b := range g.Backends {
				fmt.Fprintf(w, "%s%s%s", b.Address, b.Namespace, b.Password)
			}
		}
		fmt.Fprintf(w, "%s", c.Compression.Algorithm)
	case "gateway-name-proxy", "gateway-fqdn-proxy":
		var v gateway
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if typ == "gateway-name-proxy" {
			fmt.Fprintf(w, "%s", v.Name)
		} else {
			fmt.Fprintf(w, "%s", v.FQDN)
		}
		fmt.Fprintf(w, "%t", v.TLS)
		for _, b := range v.Backends {
			fmt.Fprintf(w, "%s", b)
		}
		if v.Network != nil {
			fmt.Fprintf(w, "%s", *v.Network)
		}
	default:
		return fmt.Errorf("unknown type")
	}
	return nil
}

func challenge(text string) ([]byte, error) {
	if !json.Valid([]byte(text)) {
		return nil, fmt.Errorf("syntax")
	}
	var d deployment
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return nil, err
	}
	w := &bytes.Buffer{}
	fmt.Fprintf(w, "%d%d%s%s%d", d.Version, d.TwinID, d.Metadata, d.Description, d.Expiration)
	for _, wl := range d.Workloads {
		if len(wl.Data) == 0 {
			return nil, fmt.Errorf("no data")
		}
		fmt.Fprintf(w, "%d%s%s%s%s", wl.Version, wl.Name, wl.Type, wl.Metadata, wl.Description)
		if err := data(w, wl.Type, wl.Data); err != nil {
			return nil, err
		}
	}
	for _, r := range d.Sig.Requests {
		fmt.Fprintf(w, "%d%t%d", r.TwinID, r.Required, r.Weight)
	}
	fmt.Fprintf(w, "%d%s", d.Sig.WeightRequired, d.Sig.Style)
	return w.Bytes(), nil
}

func main() {
	src := os.Stdin
	if len(os.Args) > 1 {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		src = f
	}
	in := bufio.NewScanner(src)
	in.Buffer(make([]byte, 16<<20), 16<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var req struct {
			Kind string `json:"kind"`
			Text []byte `json:"b64"`
		}
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(out, "ERR")
			continue
		}
		var res []byte
		var err error
		switch req.Kind {
		case "ip":
			ip := net.ParseIP(string(req.Text))
			if ip == nil {
				err = fmt.Errorf("bad ip")
			} else {
				res = []byte(ip.String())
			}
		case "cidr":
			var n ipnet
			if err = n.UnmarshalText([]byte(req.Text)); err == nil {
				res = []byte(n.String())
			}
		default:
			res, err = challenge(string(req.Text))
		}
		if err != nil {
			fmt.Fprintln(out, "ERR")
		} else {
			fmt.Fprintln(out, "OK "+hex.EncodeToString(res))
		}
	}
}
