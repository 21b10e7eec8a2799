"""Web page /@user/advice: the account's evidence-based posting advice, a ratio chart per factor
and how it answers citizens. Same report and permission as the API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from chaupal.api.deps import SessionDep, SettingsDep
from chaupal.insights.advice import advise
from chaupal.insights.advice.access import may_read_insights
from chaupal.web.charts_ratio import ratio_chart
from chaupal.web.session import current_web_user, render
from chaupal.web.views import local_account, not_found_page, sign_in_redirect

router = APIRouter()


@router.get("/@{username}/advice")
async def advice_page(username: str, request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    web_user = await current_web_user(request, session)
    if web_user is None:
        return sign_in_redirect(request)
    account = await local_account(session, username)
    if account is None:
        return not_found_page(request, web_user)
    if not await may_read_insights(session, web_user.user, account):
        return render(
            request, "error.html",
            {"heading": "Not allowed", "web_user": web_user,
             "message": "Only the account itself and its institution's owners and analysts see its advice."},
            status_code=403,
        )
    report = await advise(session, settings, account)
    charts = {
        p["factor"]: ratio_chart(p["levels"], title=f"{p['label']}: engagement ratio by choice")
        for p in report["advice"] if p["levels"]
    }
    return render(
        request, "advice.html",
        {"web_user": web_user, "account": account, "report": report, "charts": charts},
    )
