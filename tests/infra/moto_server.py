"""Run the moto server for the Terraform apply test, with the one gap it needs filled.

moto 5.2.5 implements Application Auto Scaling targets and policies but not their tagging
actions, and the AWS provider reads tags after every create (it retries the 500 forever).
This launcher adds TagResource / UntagResource / ListTagsForResource, backed by a dict, to
moto's Application Auto Scaling responses, then starts the ordinary moto server:

    python tests/infra/moto_server.py -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import json
import os

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.server import main

_TAGS: dict[str, dict[str, str]] = {}
_register_scalable_target = ApplicationAutoScalingResponse.register_scalable_target


def _register_scalable_target_with_tags(self: ApplicationAutoScalingResponse) -> str:
    body = _register_scalable_target(self)
    arn = json.loads(body)["ScalableTargetARN"]
    _TAGS.setdefault(arn, {}).update(self._get_param("Tags") or {})
    return body


def _tag_resource(self: ApplicationAutoScalingResponse) -> str:
    _TAGS.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
    return "{}"


def _untag_resource(self: ApplicationAutoScalingResponse) -> str:
    tags = _TAGS.get(self._get_param("ResourceARN"), {})
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    return "{}"


def _list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
    return json.dumps({"Tags": _TAGS.get(self._get_param("ResourceARN"), {})})


ApplicationAutoScalingResponse.register_scalable_target = _register_scalable_target_with_tags  # type: ignore[method-assign]
ApplicationAutoScalingResponse.tag_resource = _tag_resource  # type: ignore[attr-defined]
ApplicationAutoScalingResponse.untag_resource = _untag_resource  # type: ignore[attr-defined]
ApplicationAutoScalingResponse.list_tags_for_resource = _list_tags_for_resource  # type: ignore[attr-defined]

if __name__ == "__main__":
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    main()
