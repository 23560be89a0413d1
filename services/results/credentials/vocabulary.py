"""The names of Taitotaso's credentials: JSON-LD contexts and types, paths, the algorithm,
skill and level texts, assurance narratives, and the JSON-LD context of Taitotaso's own
extension terms (``extension_context``)."""
from __future__ import annotations

CONTEXTS = ("https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")
STATUS_TYPE = "1EdTechRevocationList"
ALGORITHM = "EdDSA"
JWKS_PATH = "/.well-known/jwks.json"
CONTEXT_PATH = "/api/v1/results/contexts/taitotaso-v1.jsonld"
ASSURANCES = ("unsupervised", "supervised")
NBF_LEEWAY_SECONDS = 60  # another machine's clock may run a little behind ours
_JWT_CLAIMS = ("iss", "sub", "jti", "iat", "nbf", "exp")

SKILL_NAMES = {
    "reading": "Reading comprehension",
    "listening": "Listening comprehension",
    "vocabulary": "Vocabulary",
    "structure": "Grammar and structure",
    "writing": "Writing",
    "speaking": "Speaking",
}
LEVEL_DESCRIPTIONS = {
    "A1": "Basic user: understands and uses familiar everyday expressions and very basic phrases.",
    "A2": "Basic user: handles simple, routine tasks and exchanges on familiar matters.",
    "B1": ("Independent user: copes with most situations at work and in daily life on familiar "
           "topics."),
    "B2": ("Independent user: understands complex texts and interacts fluently with native "
           "speakers."),
    "C1": "Proficient user: uses the language flexibly and effectively at work and in studies.",
    "C2": "Proficient user: understands virtually everything and expresses themselves precisely.",
}
ASSURANCE_NARRATIVES = {
    "unsupervised": "Taken online without supervision; the test taker's identity was not checked.",
    "supervised": ("Taken under supervision; the test taker's identity was checked by the "
                   "invigilator."),
}
ASSURANCE_TITLES = {"unsupervised": "self-assessment, unsupervised",
                    "supervised": "test, supervised"}
ACHIEVEMENT_VERSION = "1"
VOCAB = "https://taitotaso.fi/ns/credentials/v1#"


def extension_context() -> dict:
    """The JSON-LD context of Taitotaso's extension fields (served at ``CONTEXT_PATH`` and
    named in every credential's ``@context``): each term an IRI in Taitotaso's vocabulary."""
    terms = {
        "sem": "xsd:decimal", "certainty": "xsd:decimal", "atLeast": "xsd:boolean",
        "levelRange": "@json", "assurance": "xsd:string", "itemBankVersion": "xsd:string",
        "cutScoresVersion": "xsd:string", "itemsAnswered": "xsd:integer",
    }
    return {"@context": {
        "@protected": True,
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        **{term: {"@id": VOCAB + term, "@type": kind} for term, kind in terms.items()},
    }}
