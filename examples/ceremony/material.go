package main

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/trustroot/trustroot/signer/fake"
)

// serviceMaterial is what the demo's online services publish through TUF:
// a Fulcio-style CA certificate, a Rekor-style log key and a timestamp
// authority's certificate chain, plus a Sigstore trusted_root.json built
// from them. Keys derive from fixed names (deterministic); certificates
// carry ECDSA signatures, which are not.
type serviceMaterial struct {
	caPEM           []byte // CA certificate
	logKeyPEM       []byte // log public key
	tsaPEM          []byte // TSA leaf certificate then its root
	trustedRoot     []byte // Sigstore trusted root JSON
	caCert, tsaLeaf *x509.Certificate
}

func demoKey(name string) *ecdsa.PrivateKey {
	return fake.New("ceremony-demo-service-" + name).PrivateKey().(*ecdsa.PrivateKey)
}

func selfSigned(tmpl *x509.Certificate, key *ecdsa.PrivateKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func newServiceMaterial(now time.Time) (*serviceMaterial, error) {
	start := now.Add(-time.Hour).UTC().Truncate(time.Second)
	end := start.Add(10 * 365 * 24 * time.Hour)
	org := []string{"trustroot demo"}

	caKey := demoKey("fulcio")
	ca, err := selfSigned(&x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: org, CommonName: "trustroot demo Fulcio root"},
		NotBefore:             start,
		NotAfter:              end,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            1,
	}, caKey)
	if err != nil {
		return nil, fmt.Errorf("ceremony: demo CA certificate: %w", err)
	}

	logKey := demoKey("rekor")
	logDER, err := x509.MarshalPKIXPublicKey(logKey.Public())
	if err != nil {
		return nil, err
	}

	tsaRootKey := demoKey("tsa-root")
	tsaRoot, err := selfSigned(&x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{Organization: org, CommonName: "trustroot demo TSA root"},
		NotBefore:             start,
		NotAfter:              end,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
	}, tsaRootKey)
	if err != nil {
		return nil, fmt.Errorf("ceremony: demo TSA root certificate: %w", err)
	}
	tsaKey := demoKey("tsa")
	leafDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(3),
		Subject:      pkix.Name{Organization: org, CommonName: "trustroot demo TSA"},
		NotBefore:    start,
		NotAfter:     end,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	}, tsaRoot, tsaKey.Public(), tsaRootKey)
	if err != nil {
		return nil, fmt.Errorf("ceremony: demo TSA certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return nil, err
	}

	m := &serviceMaterial{
		caPEM:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}),
		logKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: logDER}),
		tsaPEM: append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}),
			pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tsaRoot.Raw})...),
		caCert:  ca,
		tsaLeaf: leaf,
	}
	m.trustedRoot, err = trustedRootJSON(ca, logDER, []*x509.Certificate{leaf, tsaRoot}, start)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// trustedRootJSON builds a Sigstore trusted root
// (application/vnd.dev.sigstore.trustedroot+json;version=0.1) naming the
// CA, the transparency log key and the timestamp authority.
func trustedRootJSON(ca *x509.Certificate, logKeyDER []byte, tsaChain []*x509.Certificate, start time.Time) ([]byte, error) {
	b64 := base64.StdEncoding.EncodeToString
	type cert struct {
		RawBytes string `json:"rawBytes"`
	}
	type chain struct {
		Certificates []cert `json:"certificates"`
	}
	type validity struct {
		Start string `json:"start"`
	}
	type subject struct {
		Organization string `json:"organization"`
		CommonName   string `json:"commonName"`
	}
	type authority struct {
		Subject   subject  `json:"subject"`
		URI       string   `json:"uri"`
		CertChain chain    `json:"certChain"`
		ValidFor  validity `json:"validFor"`
	}
	type pubKey struct {
		RawBytes   string   `json:"rawBytes"`
		KeyDetails string   `json:"keyDetails"`
		ValidFor   validity `json:"validFor"`
	}
	type logID struct {
		KeyID string `json:"keyId"`
	}
	type tlog struct {
		BaseURL       string `json:"baseUrl"`
		HashAlgorithm string `json:"hashAlgorithm"`
		PublicKey     pubKey `json:"publicKey"`
		LogID         logID  `json:"logId"`
	}
	logID256 := sha256.Sum256(logKeyDER)
	v := validity{Start: start.UTC().Format(time.RFC3339)}
	var tsaCerts []cert
	for _, c := range tsaChain {
		tsaCerts = append(tsaCerts, cert{b64(c.Raw)})
	}
	tr := struct {
		MediaType              string      `json:"mediaType"`
		Tlogs                  []tlog      `json:"tlogs"`
		CertificateAuthorities []authority `json:"certificateAuthorities"`
		Ctlogs                 []tlog      `json:"ctlogs"`
		TimestampAuthorities   []authority `json:"timestampAuthorities"`
	}{
		MediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
		Tlogs: []tlog{{
			BaseURL:       "https://rekor.demo.invalid",
			HashAlgorithm: "SHA2_256",
			PublicKey:     pubKey{RawBytes: b64(logKeyDER), KeyDetails: "PKIX_ECDSA_P256_SHA_256", ValidFor: v},
			LogID:         logID{KeyID: b64(logID256[:])},
		}},
		CertificateAuthorities: []authority{{
			Subject:   subject{Organization: "trustroot demo", CommonName: ca.Subject.CommonName},
			URI:       "https://fulcio.demo.invalid",
			CertChain: chain{Certificates: []cert{{b64(ca.Raw)}}},
			ValidFor:  v,
		}},
		Ctlogs: []tlog{},
		TimestampAuthorities: []authority{{
			Subject:   subject{Organization: "trustroot demo", CommonName: tsaChain[0].Subject.CommonName},
			URI:       "https://tsa.demo.invalid",
			CertChain: chain{Certificates: tsaCerts},
			ValidFor:  v,
		}},
	}
	data, err := json.MarshalIndent(tr, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
