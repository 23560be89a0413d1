"""Reading the item body of each kind back: response declarations, correct responses and
mappings, the interaction of each kind, audio players and the gaps of a C-test.

:class:`ItemBodyReader` is the half of the importer's reader that knows the item kinds; the
package half (manifest, assets, stimuli, metadata) is in ``importer.py``."""
from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from typing import Any

from ..ctest import Gap, damage
from .errors import QTIImportError
from .spec import _BASE_TYPE, _YES_NO, QTI_NS, _q
from .xmlread import _attr, _blocks, _blocks_list, _err, _float, _local, _mixed, _text


class ItemBodyReader:
    assets: dict[str, tuple[str, bytes]]
    asset_files: dict[str, str]  # href -> sha

    def _audio_sha(self, parent: ET.Element, path: str, where: str) -> str | None:
        """The asset an <audio> in ``parent`` plays (None when there is none)."""
        audios = list(parent)
        if not audios:
            return None
        if len(audios) != 1 or _local(audios[0], QTI_NS, where) != "audio":
            raise _err(where, "expected one <audio> element")
        sources = list(audios[0])
        if len(sources) != 1 or _local(sources[0], QTI_NS, where) != "source":
            raise _err(f"{where}: <audio>", "expected one <source> element")
        src = _attr(sources[0], "src", f"{where}: <audio><source>")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), src))
        if target not in self.asset_files:
            raise _err(f"{where}: <audio><source>", f"src {src!r} is not an asset of the package")
        sha = self.asset_files[target]
        if sources[0].get("type") != self.assets[sha][0]:
            raise _err(f"{where}: <audio><source>", f"type {sources[0].get('type')!r} is not the "
                       f"asset's media type {self.assets[sha][0]!r}")
        return sha

    def _declarations(self, root: ET.Element, path: str, kind: str) -> dict[str, dict]:
        decls: dict[str, dict] = {}
        for d in root.findall(_q("qti-response-declaration")):
            ident = _attr(d, "identifier", f"{path}: qti-response-declaration")
            w = f"{path}: qti-response-declaration {ident}"
            if ident in decls:
                raise _err(w, "declared twice")
            if _attr(d, "cardinality", w) != "single":
                raise _err(w, f"cardinality must be 'single', got {d.get('cardinality')!r}")
            if _attr(d, "base-type", w) != _BASE_TYPE[kind]:
                raise _err(w, f"base-type must be {_BASE_TYPE[kind]!r} for a {kind} item, got "
                           f"{d.get('base-type')!r}")
            correct = None
            cr = d.find(_q("qti-correct-response"))
            if cr is not None:
                values = cr.findall(_q("qti-value"))
                if len(values) != 1:
                    raise _err(f"{w}: qti-correct-response", "expected exactly one qti-value")
                correct = _text(values[0], f"{w}: qti-correct-response")
            mapping = None
            m = d.find(_q("qti-mapping"))
            if m is not None:
                mapping = []
                for entry in m.findall(_q("qti-map-entry")):
                    ew = f"{w}: qti-mapping: qti-map-entry"
                    mapping.append(_attr(entry, "map-key", ew))
                    if _float(_attr(entry, "mapped-value", ew), f"{ew} mapped-value") != 1:
                        raise _err(ew, "mapped-value must be 1 (an accepted answer)")
                    if entry.get("case-sensitive") != "false":
                        raise _err(ew, "case-sensitive must be 'false'")
            decls[ident] = {"correct": correct, "mapping": mapping, "where": w}
        score = [o for o in root.findall(_q("qti-outcome-declaration")) if o.get("identifier") == "SCORE"]
        if not score:
            raise _err(path, "qti-outcome-declaration SCORE is missing")
        return decls

    def _stimulus_ref(self, root: ET.Element, path: str, testlet: str | None,
                      item_assets: dict[str, str]) -> dict | None:
        refs = root.findall(_q("qti-assessment-stimulus-ref"))
        if not refs:
            return None
        if len(refs) > 1:
            raise _err(path, "more than one qti-assessment-stimulus-ref")
        w = f"{path}: qti-assessment-stimulus-ref"
        sid = _attr(refs[0], "identifier", w)
        if sid not in self.stimuli:
            raise _err(w, f"identifier {sid!r} is not a stimulus resource of the package")
        stim_path, stimulus, stim_testlet, audio_sha = self.stimuli[sid]
        href = _attr(refs[0], "href", w)
        if posixpath.normpath(posixpath.join(posixpath.dirname(path), href)) != stim_path:
            raise _err(w, f"href {href!r} is not the file of stimulus {sid} ({stim_path})")
        if stim_testlet != testlet:
            raise _err(w, f"stimulus {sid} belongs to testlet {stim_testlet!r}, the item to {testlet!r}")
        own = item_assets.get("stimulus_audio")
        if own and audio_sha and own != audio_sha:
            raise _err(w, f"the stimulus plays asset {audio_sha}, the item's stimulus_audio is {own}")
        return dict(stimulus)

    def _correct(self, decls: dict, ident: str, path: str, need_mapping: bool = False) -> dict:
        if ident not in decls:
            raise _err(path, f"qti-response-declaration {ident} is missing")
        d = decls[ident]
        if d["correct"] is None:
            raise _err(d["where"], "qti-correct-response is missing")
        if need_mapping:
            if not d["mapping"]:
                raise _err(d["where"], "qti-mapping with the accepted answers is missing")
            if d["mapping"][0] != d["correct"]:
                raise _err(d["where"], f"the first accepted answer {d['mapping'][0]!r} must be the "
                           f"correct response {d['correct']!r}")
        return d

    def _interaction(self, elem: ET.Element, ident: str, decls: dict, where: str) -> None:
        rid = _attr(elem, "response-identifier", where)
        if rid != ident:
            raise _err(where, f"response-identifier must be {ident!r}, got {rid!r}")
        if rid not in decls:
            raise _err(where, f"response-identifier {rid!r} has no qti-response-declaration")

    def _prompt(self, interaction: ET.Element, where: str, required: bool = True) -> str | None:
        prompts = interaction.findall(_q("qti-prompt"))
        if not prompts:
            if required:
                raise _err(where, "qti-prompt is missing")
            return None
        return _text(prompts[0], f"{where}: qti-prompt")

    def _body(self, kind: str, body: ET.Element, decls: dict, path: str,
              item_assets: dict[str, str]) -> tuple[dict, Any, tuple[str, ...]]:
        w = f"{path}: qti-item-body"
        if kind != "c_test" and set(decls) != {"RESPONSE"}:
            raise _err(path, f"a {kind} item declares exactly the response RESPONSE, found "
                       f"{sorted(decls) or 'none'}")
        content: dict[str, Any] = {}
        key: Any = None
        accept: tuple[str, ...] = ()
        if kind in ("multiple_choice", "yes_no"):
            if kind == "multiple_choice":
                blocks = _blocks(body, w, ("qti-choice-interaction",), ("p.tt-context",))
            else:
                blocks = _blocks(body, w, ("qti-choice-interaction", "p.tt-word"))
            ci = blocks["qti-choice-interaction"]
            cw = f"{path}: qti-choice-interaction"
            self._interaction(ci, "RESPONSE", decls, cw)
            if ci.get("max-choices") != "1":
                raise _err(cw, "max-choices must be 1")
            choices: dict[str, str] = {}
            for child in ci:
                tag = _local(child, QTI_NS, cw)
                if tag == "qti-prompt":
                    continue
                if tag != "qti-simple-choice":
                    raise _err(cw, f"unexpected element <{tag}>")
                cid = _attr(child, "identifier", f"{cw}: qti-simple-choice")
                if cid in choices:
                    raise _err(cw, f"choice {cid!r} appears twice")
                choices[cid] = _text(child, f"{cw}: qti-simple-choice {cid}")
            d = self._correct(decls, "RESPONSE", path)
            if d["correct"] not in choices:
                raise _err(cw, f"correct response {d['correct']!r} is not a choice "
                           f"(choices: {', '.join(choices)})")
            key = d["correct"]
            if kind == "multiple_choice":
                prompt = self._prompt(ci, cw)
                if "p.tt-context" in blocks:
                    content["context"] = _text(blocks["p.tt-context"], f"{w}: p.tt-context", strong=True)
                content.update(prompt=prompt, choices=choices)
            else:
                if set(choices) != set(_YES_NO):
                    raise _err(cw, f"a yes_no item has the choices yes and no, found {', '.join(choices)}")
                content["word"] = _text(blocks["p.tt-word"], f"{w}: p.tt-word")
        elif kind == "cloze":
            blocks = _blocks(body, w, ("p.tt-cloze",), ("p.tt-hint",))
            pw = f"{w}: p.tt-cloze"
            parts = _mixed(blocks["p.tt-cloze"], pw, ("qti-text-entry-interaction",))
            if len(parts) != 3:
                raise _err(pw, "a cloze text has exactly one qti-text-entry-interaction")
            self._interaction(parts[1], "RESPONSE", decls, f"{pw}: qti-text-entry-interaction")
            content["text"] = parts[0] + "___" + parts[2]
            if "p.tt-hint" in blocks:
                content["hint"] = _text(blocks["p.tt-hint"], f"{w}: p.tt-hint")
            d = self._correct(decls, "RESPONSE", path, need_mapping=True)
            key, accept = d["correct"], tuple(d["mapping"])
        elif kind == "dictation":
            blocks = _blocks(body, w, ("qti-extended-text-interaction",), ("div.tt-audio",))
            self._interaction(blocks["qti-extended-text-interaction"], "RESPONSE", decls,
                              f"{path}: qti-extended-text-interaction")
            if "div.tt-audio" in blocks:
                sha = self._audio_sha(blocks["div.tt-audio"], path, f"{w}: div.tt-audio")
                if sha and item_assets.get("audio") != sha:
                    raise _err(f"{w}: div.tt-audio", f"plays asset {sha}, but the item's audio asset "
                               f"in the manifest (tt:asset audio) is {item_assets.get('audio')}")
            elif item_assets.get("audio"):
                raise _err(w, "the item has an audio asset but no <div class='tt-audio'> to play it")
            d = self._correct(decls, "RESPONSE", path)
            content["audio_text"] = key = d["correct"]
        elif kind == "c_test":
            _blocks(body, w, ("p.tt-ctest",))
        elif kind == "sentence_building":
            blocks = _blocks(body, w, ("ul.tt-words", "p.tt-answer"), ("p.tt-instruction",))
            uw = f"{w}: ul.tt-words"
            words = []
            for li in _blocks_list(blocks["ul.tt-words"], uw, "li"):
                words.append(_text(li, f"{uw}: li"))
            content["words"] = words
            aw = f"{w}: p.tt-answer"
            parts = _mixed(blocks["p.tt-answer"], aw, ("qti-text-entry-interaction",))
            if len(parts) != 3 or parts[0].strip() or parts[2].strip():
                raise _err(aw, "expected one qti-text-entry-interaction")
            self._interaction(parts[1], "RESPONSE", decls, f"{aw}: qti-text-entry-interaction")
            d = self._correct(decls, "RESPONSE", path, need_mapping=True)
            key, accept = d["correct"], tuple(d["mapping"])
        elif kind == "writing_task":
            blocks = _blocks(body, w, ("qti-extended-text-interaction",))
            ew = f"{path}: qti-extended-text-interaction"
            self._interaction(blocks["qti-extended-text-interaction"], "RESPONSE", decls, ew)
            content["prompt"] = self._prompt(blocks["qti-extended-text-interaction"], ew)
        elif kind in ("read_aloud", "speaking_prompt"):
            optional = ("div.tt-read-aloud",) if kind == "read_aloud" else ()
            blocks = _blocks(body, w, ("qti-upload-interaction",) + optional)
            uw = f"{path}: qti-upload-interaction"
            self._interaction(blocks["qti-upload-interaction"], "RESPONSE", decls, uw)
            if kind == "read_aloud":
                content["text"] = _text(blocks["div.tt-read-aloud"], f"{w}: div.tt-read-aloud")
            else:
                content["prompt"] = self._prompt(blocks["qti-upload-interaction"], uw)
        if kind in ("writing_task", "read_aloud", "speaking_prompt"):
            if decls["RESPONSE"]["correct"] is not None:
                raise _err(decls["RESPONSE"]["where"], f"a {kind} item has no correct response")
        return content, key, accept

    def _ctest(self, body: ET.Element, decls: dict, path: str, extra: dict) -> list[str]:
        text = extra.get("text")
        if not isinstance(text, str):
            raise QTIImportError(f"{path}: the C-test source text (tt:content text, type str) is "
                                 "missing from the item's metadata in the manifest")
        pw = f"{path}: qti-item-body: p.tt-ctest"
        parts = _mixed(body.find(_q("p")), pw, ("qti-text-entry-interaction",))
        expected: list = [""]
        gaps: list[Gap] = []
        for part in damage(text):
            if isinstance(part, Gap):
                gaps.append(part)
                expected[-1] += part.prefix
                expected += [f"GAP_{len(gaps)}", ""]
            else:
                expected[-1] += part
        got = [p if isinstance(p, str) else p.get("response-identifier") for p in parts]
        if got != expected:
            raise _err(pw, "the damaged text and its gaps GAP_1.. do not match the C-test source "
                       "text in the manifest (tt:content text)")
        if set(decls) != {f"GAP_{n}" for n in range(1, len(gaps) + 1)}:
            raise _err(path, f"a C-test declares the responses GAP_1..GAP_{len(gaps)}, found "
                       f"{', '.join(sorted(decls))}")
        key = []
        for n, gap in enumerate(gaps, 1):
            d = self._correct(decls, f"GAP_{n}", path)
            if d["correct"] != gap.missing:
                raise _err(d["where"], f"correct response {d['correct']!r} is not the part the "
                           f"C-test rule removes ({gap.missing!r})")
            key.append(d["correct"])
        return key
