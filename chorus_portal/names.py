"""A structure's name inside a sentence, with the article French needs.

French puts an article before most administrations' names and contracts it with the
preposition: « gestionnaire principal *de la* Direction régionale… », « *du* Ministère… »,
« *de l'*Agence… », « *des* Ateliers… », and elides *de* before a vowel when there is no
article (« *d'*Informatique Éléonore SAS »). English needs none of it.

Sentences therefore take the whole phrase as one placeholder, built for the active
language: ``of_structure`` ("of X" / « de la X »), ``in_structure`` ("in X" /
« au sein de la X ») and ``the_structure`` ("X" / « la X », after a preposition that does
not contract, such as « concernant »).

The article is read from the name's first word:
- a name that already starts with an article keeps it and only contracts it
  (« Le Bon Marché » → « du Bon Marché », « Les Échos » → « des Échos »);
- a first word that is a common noun of the lexicon below gets its article
  (« Direction… » → « la Direction… », « Ministère… » → « le Ministère… »);
- anything else is a proper name and gets none (« Ateliers Durand SARL »
  stays bare unless « Ateliers » is in the lexicon, « Airbus » → « d'Airbus »).
"""

from __future__ import annotations

import unicodedata

from django.utils.translation import get_language

# The first word of a structure's name (lower case, accents kept) → its article.
_FEMININE = (
    "direction sous-direction préfecture sous-préfecture mairie commune communauté métropole "
    "région collectivité caisse chambre cour trésorerie paierie recette délégation inspection "
    "division mission société compagnie banque fondation mutuelle fédération coopérative "
    "clinique bibliothèque maison police gendarmerie plateforme cité résidence régie brigade "
    "base cellule commission conférence juridiction station haute garde capitainerie "
    "manufacture imprimerie poste"
)
_MASCULINE = (
    "ministère centre service conseil département syndicat secrétariat commissariat "
    "groupement groupe laboratoire musée lycée collège tribunal parquet pôle bureau cabinet "
    "comité consulat parc port rectorat théâtre conservatoire commandement régiment district "
    "campus cercle domaine fonds crédit trésor palais sénat gouvernement haut centre "
    "contrôle"
)
# Nouns starting with a vowel or a mute h: « l' ».
_ELIDED = (
    "agence administration académie école université assemblée autorité association union "
    "entreprise ambassade intercommunalité office institut établissement hôpital hôtel "
    "observatoire arsenal atelier état-major inspection-générale opéra orchestre agglomération "
    "etablissement ecole universite academie hopital hotel etat-major"
)
_PLURAL = (
    "services archives hospices hôpitaux établissements ateliers laboratoires éditions "
    "transports chantiers magasins entreprises hôtels"
)

_ARTICLES: dict[str, str] = {
    **{word: "la " for word in _FEMININE.split()},
    **{word: "le " for word in _MASCULINE.split()},
    **{word: "l'" for word in _ELIDED.split()},
    **{word: "les " for word in _PLURAL.split()},
}
_VOWELS = set("aeiouy")


def _starts_with_vowel(text: str) -> bool:
    first = unicodedata.normalize("NFKD", text[:1]).casefold()[:1]
    return first in _VOWELS


def _split_article(name: str) -> tuple[str, str]:
    """(article, rest): the article the name carries or needs (« la », « le », « l' »,
    « les », or "" for a proper name), and the name without a leading article of its own."""
    name = " ".join(name.split())
    lowered = name.casefold()
    for own in ("le ", "la ", "les "):
        if lowered.startswith(own):
            return name[: len(own)], name[len(own) :]
    if lowered.startswith(("l'", "l’")):
        return name[:2], name[2:]
    first = lowered.split(" ", 1)[0] if lowered else ""
    return _ARTICLES.get(first, ""), name


def french_the(name: str) -> str:
    """« la Direction… », « le Ministère… », « l'Agence… », « Ateliers Durand SARL »."""
    article, rest = _split_article(name)
    return f"{article}{rest}"


def french_of(name: str) -> str:
    """« de la Direction… », « du Ministère… », « de l'Agence… », « des Ateliers… »,
    « d'Informatique Éléonore SAS », « de Chorus »."""
    article, rest = _split_article(name)
    match article.casefold():
        case "le ":
            return f"du {rest}"
        case "les ":
            return f"des {rest}"
        case "":
            return f"d'{rest}" if _starts_with_vowel(rest) else f"de {rest}"
        case _:
            return f"de {article}{rest}"


def french_in(name: str) -> str:
    """« au sein de la Direction… », « au sein d'Informatique Éléonore SAS »."""
    return f"au sein {french_of(name)}"


def _french() -> bool:
    return (get_language() or "").split("-")[0] == "fr"


def the_structure(name) -> str:
    name = str(name)
    return french_the(name) if _french() else name


def of_structure(name) -> str:
    name = str(name)
    return french_of(name) if _french() else f"of {name}"


def in_structure(name) -> str:
    name = str(name)
    return french_in(name) if _french() else f"in {name}"
