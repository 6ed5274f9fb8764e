// A webhook receiver that checks Tocsin's signature before trusting a request.
// Go standard library only: TOCSIN_SECRET=whsec_... PORT=8080 go run main.go
// ed25519: SIGNING_SCHEME=ed25519 TOCSIN_PUBLIC_KEY=whpk_... PORT=8080 go run main.go
// Settings and schemes: docs/signing.md.
package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	secret          = os.Getenv("TOCSIN_SECRET")
	publicKey       = os.Getenv("TOCSIN_PUBLIC_KEY")      // ed25519 only: whpk_...
	scheme          = envOr("SIGNING_SCHEME", "standard") // standard | hmac-sha256 | ed25519
	header          = os.Getenv("SIGNATURE_HEADER")       // hmac-sha256 only, e.g. x-hub-signature-256
	encoding        = envOr("SIGNATURE_ENCODING", "hex")  // hex | base64
	prefix          = os.Getenv("SIGNATURE_PREFIX")       // e.g. sha256= or v1=
	timestampHeader = os.Getenv("TIMESTAMP_HEADER")       // optional
	key             []byte
	ed25519Key      ed25519.PublicKey
	digits          = regexp.MustCompile(`^[0-9]{1,12}$`)
)

const toleranceSec = 300

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func timestampProblem(ts string) string {
	if !digits.MatchString(ts) {
		return "bad timestamp"
	}
	sec, _ := strconv.ParseInt(ts, 10, 64)
	if d := time.Now().Unix() - sec; d > toleranceSec || d < -toleranceSec {
		return "timestamp outside tolerance"
	}
	return ""
}

// check says why the request did not come from Tocsin, or "" when it did.
func check(h http.Header, body []byte) string {
	mac := hmac.New(sha256.New, key)
	var expected string
	var received []string
	if scheme == "standard" || scheme == "ed25519" {
		id, ts, signatures := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
		if id == "" || ts == "" || signatures == "" {
			return "missing webhook-id, webhook-timestamp or webhook-signature"
		}
		if problem := timestampProblem(ts); problem != "" {
			return problem
		}
		if scheme == "ed25519" {
			// v1a entries, one per key while a rotation overlaps; any may verify.
			signed := append([]byte(id+"."+ts+"."), body...)
			for _, s := range strings.Split(signatures, " ") {
				sig, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "v1a,"))
				if strings.HasPrefix(s, "v1a,") && err == nil && ed25519.Verify(ed25519Key, signed, sig) {
					return ""
				}
			}
			return "bad signature"
		}
		mac.Write([]byte(id + "." + ts + "."))
		mac.Write(body)
		expected = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		received = strings.Split(signatures, " ") // one per secret while a rotation overlaps
	} else {
		signatures := h.Get(header)
		if signatures == "" {
			return "missing " + header
		}
		if timestampHeader != "" {
			ts := h.Get(timestampHeader)
			if ts == "" {
				return "missing " + timestampHeader
			}
			if problem := timestampProblem(ts); problem != "" {
				return problem
			}
			mac.Write([]byte(ts + ":"))
		}
		mac.Write(body)
		if encoding == "base64" {
			expected = prefix + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		} else {
			expected = prefix + hex.EncodeToString(mac.Sum(nil))
		}
		received = []string{signatures}
		if prefix == "v1=" {
			received = strings.Split(signatures, ",") // v1= lists one per secret
		}
	}
	for _, s := range received {
		// hmac.Equal takes constant time, so response timing reveals nothing about the signature.
		if hmac.Equal([]byte(strings.TrimSpace(s)), []byte(expected)) {
			return ""
		}
	}
	return "bad signature"
}

func handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body) // the exact bytes Tocsin signed: verify them before parsing
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	if problem := check(r.Header, body); problem != "" {
		fmt.Println("rejected: " + problem)
		http.Error(w, problem, http.StatusUnauthorized)
		return
	}
	fmt.Printf("verified %s (%d bytes)\n", r.Header.Get("webhook-id"), len(body))
	// Handle the event here: json.Unmarshal(body, &event), deduplicated on webhook-id.
	w.WriteHeader(http.StatusNoContent)
}

func main() {
	keyed := secret != ""
	if scheme == "ed25519" {
		// The 32 raw bytes the whpk_ public key encodes: it can check signatures, not make them.
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(publicKey, "whpk_"))
		keyed = strings.HasPrefix(publicKey, "whpk_") && err == nil && len(raw) == ed25519.PublicKeySize
		ed25519Key = ed25519.PublicKey(raw)
	}
	if !keyed || (scheme != "standard" && scheme != "hmac-sha256" && scheme != "ed25519") || (scheme == "hmac-sha256" && header == "") {
		log.Fatal("Set SIGNING_SCHEME (standard, hmac-sha256 or ed25519), TOCSIN_SECRET (TOCSIN_PUBLIC_KEY=whpk_... for ed25519) and, for hmac-sha256, SIGNATURE_HEADER.")
	}
	// standard keys the HMAC with the bytes the whsec_ secret encodes; hmac-sha256 with the text itself.
	key = []byte(secret)
	if scheme == "standard" {
		var err error
		if key, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_")); err != nil {
			log.Fatal("TOCSIN_SECRET must be whsec_ followed by base64 for SIGNING_SCHEME standard")
		}
	}
	addr := net.JoinHostPort(envOr("HOST", "127.0.0.1"), envOr("PORT", "8080"))
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("listening on http://" + addr)
	log.Fatal(http.Serve(listener, http.HandlerFunc(handle)))
}
