// Java's SunPKCS11 provider against the module: load the PKCS11 KeyStore with
// the user PIN, generate EC and RSA key pairs on the token, sign with the
// token's private keys, verify with the public keys in Java's own providers.
//
// Usage: java SunPkcs11Test.java CONFIG_FILE PIN
import java.security.*;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;

public class SunPkcs11Test {
  static void check(boolean ok, String what) {
    if (!ok)
      throw new AssertionError(what);
  }

  static void signAndVerify(Provider p11, String keyAlg, AlgorithmParameterSpec spec, int bits,
      String sigAlg) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance(keyAlg, p11);
    if (spec != null)
      gen.initialize(spec);
    else
      gen.initialize(bits);
    KeyPair kp = gen.generateKeyPair();
    byte[] data = ("SunPKCS11 " + sigAlg).getBytes("UTF-8");

    Signature signer = Signature.getInstance(sigAlg, p11);
    signer.initSign(kp.getPrivate());
    signer.update(data);
    byte[] sig = signer.sign();

    // Verify outside the token, with the JDK's own provider.
    PublicKey pub = KeyFactory.getInstance(keyAlg).generatePublic(
        new X509EncodedKeySpec(kp.getPublic().getEncoded()));
    Signature verifier = Signature.getInstance(sigAlg);
    verifier.initVerify(pub);
    verifier.update(data);
    check(verifier.verify(sig), sigAlg + " signature did not verify");
    verifier.initVerify(pub);
    verifier.update("tampered".getBytes("UTF-8"));
    check(!verifier.verify(sig), sigAlg + " verified tampered data");
    System.out.println(sigAlg + ": OK");
  }

  public static void main(String[] args) throws Exception {
    Provider p11 = Security.getProvider("SunPKCS11").configure(args[0]);
    Security.addProvider(p11);
    KeyStore ks = KeyStore.getInstance("PKCS11", p11);
    ks.load(null, args[1].toCharArray());
    System.out.println("KeyStore loaded, " + ks.size() + " entries");

    signAndVerify(p11, "EC", new ECGenParameterSpec("secp256r1"), 0, "SHA256withECDSA");
    signAndVerify(p11, "RSA", null, 2048, "SHA256withRSA");

    SecureRandom rng = SecureRandom.getInstance("PKCS11", p11);
    byte[] r = new byte[32];
    rng.nextBytes(r);
    System.out.println("PASS");
  }
}
