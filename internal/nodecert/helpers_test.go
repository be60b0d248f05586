package nodecert

import "crypto/x509"

type x509Certificate = x509.Certificate

func parse(der []byte) (*x509.Certificate, error) { return x509.ParseCertificate(der) }
