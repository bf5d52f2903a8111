"""PyKCS11 against a fresh token: login, generate, sign, verify, find, destroy.

Usage: pykcs11_test.py MODULE (the token must exist; see pykcs11_test.sh).
"""
import os
import sys

import PyKCS11
from PyKCS11.LowLevel import CKA_CLASS, CKO_PRIVATE_KEY

module, label, pin = sys.argv[1], os.environ["LABEL"], os.environ["USER_PIN"]
lib = PyKCS11.PyKCS11Lib()
lib.load(module)

info = lib.getInfo()
assert "cryptoki" in info.manufacturerID, info.manufacturerID

slot = next(s for s in lib.getSlotList(tokenPresent=True)
            if lib.getTokenInfo(s).label.strip() == label)
session = lib.openSession(slot, PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
session.login(pin)

# Generate an EC P-256 key pair on the token.
p256 = bytes.fromhex("06082a8648ce3d030107")
pub_tmpl = [
    (PyKCS11.CKA_CLASS, PyKCS11.CKO_PUBLIC_KEY),
    (PyKCS11.CKA_TOKEN, PyKCS11.CK_TRUE),
    (PyKCS11.CKA_VERIFY, PyKCS11.CK_TRUE),
    (PyKCS11.CKA_EC_PARAMS, p256),
    (PyKCS11.CKA_LABEL, "py-ec"),
    (PyKCS11.CKA_ID, (0x42,)),
]
priv_tmpl = [
    (PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY),
    (PyKCS11.CKA_TOKEN, PyKCS11.CK_TRUE),
    (PyKCS11.CKA_PRIVATE, PyKCS11.CK_TRUE),
    (PyKCS11.CKA_SENSITIVE, PyKCS11.CK_TRUE),
    (PyKCS11.CKA_SIGN, PyKCS11.CK_TRUE),
    (PyKCS11.CKA_LABEL, "py-ec"),
    (PyKCS11.CKA_ID, (0x42,)),
]
pub, priv = session.generateKeyPair(
    pub_tmpl, priv_tmpl, mecha=PyKCS11.Mechanism(PyKCS11.CKM_EC_KEY_PAIR_GEN, None))

# Sign and verify.
data = b"PyKCS11 interop"
mech = PyKCS11.Mechanism(PyKCS11.CKM_ECDSA_SHA256, None)
signature = bytes(session.sign(priv, data, mech))
assert len(signature) == 64, len(signature)
assert session.verify(pub, data, signature, mech)
assert not session.verify(pub, data + b"!", signature, mech)

# The sensitive private value is not readable (PyKCS11 turns the entry the
# module marked CK_UNAVAILABLE_INFORMATION into None), the rest is.
value, label = session.getAttributeValue(priv, [PyKCS11.CKA_VALUE, PyKCS11.CKA_LABEL])
assert value is None, value
assert label == "py-ec", label

# Find by label, then destroy.
found = session.findObjects([(PyKCS11.CKA_LABEL, "py-ec")])
assert len(found) == 2, found
found = session.findObjects([(CKA_CLASS, CKO_PRIVATE_KEY), (PyKCS11.CKA_LABEL, "py-ec")])
assert len(found) == 1, found
session.destroyObject(priv)
session.destroyObject(pub)
assert session.findObjects([(PyKCS11.CKA_LABEL, "py-ec")]) == []

session.logout()
session.closeSession()
print("PASS")
