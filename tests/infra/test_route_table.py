"""One route table for the public API: Terraform and the local gateway read the same file.

tests/infra/test_terraform_apply_edge.py checks the applied routes against it; here, that
Terraform takes its routes from the file only, and that the table says what people use.
"""

import re

from infra.local.routes import ROUTES_FILE, Auth, RouteTable
from infra.local.stack import SERVICES
from tests.infra.terraform_support import TERRAFORM_DIR

TABLE = RouteTable.load(list(SERVICES))


def test_terraform_reads_its_routes_from_the_table_and_declares_none_itself() -> None:
    assert ROUTES_FILE.parent == TERRAFORM_DIR
    services_tf = (TERRAFORM_DIR / "services.tf").read_text()
    assert 'jsondecode(file("${path.module}/routes.json"))' in services_tf
    route_keys = re.compile(r'"(GET|POST|PUT|PATCH|DELETE|ANY) /')
    for tf in TERRAFORM_DIR.rglob("*.tf"):
        literal = [m.group(0) for m in route_keys.finditer(tf.read_text())]
        assert literal in ([], ['"ANY /']), (tf.name, literal)  # ANY /{proxy+} only


def test_the_table_says_what_people_use() -> None:
    public = TABLE.keys(Auth.PUBLIC)
    assert {"GET /order/board", "GET /order/board/events", "GET /production/kitchen"} <= public
    assert {"GET /order/static/{proxy+}", "GET /production/static/{proxy+}"} <= public
    assert "POST /payment/webhook" in public
    assert TABLE.match("GET", "/production/events") is Auth.QUERY_JWT  # the kitchen stream
    assert TABLE.match("GET", "/order/3f6c/events") is Auth.QUERY_JWT
    assert TABLE.match("GET", "/order/board/events") is Auth.PUBLIC  # literal beats {param}
    assert TABLE.match("POST", "/order/3f6c/cancel") is Auth.JWT  # everything else
    assert TABLE.match("POST", "/order/board") is Auth.JWT  # method matters
    assert TABLE.match("GET", "/catalog/products/1") is Auth.PUBLIC
    assert TABLE.match("POST", "/catalog/products") is Auth.JWT
    for svc in SERVICES:
        assert TABLE.match("GET", f"/{svc}/metrics") is Auth.DENIED
        assert TABLE.match("POST", f"/{svc}/metrics") is Auth.DENIED
        assert TABLE.match("GET", f"/{svc}/health") is Auth.PUBLIC
