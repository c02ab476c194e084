namespace Receptionist.Features.Forwarding;

public sealed record ForwardingResponse(
    string LineNumber,
    int NoAnswerSeconds,
    RecommendedSetup Recommended,
    MobileCode[] Mobile,
    PbxGuide[] CloudPbx);

public sealed record RecommendedSetup(string Title, string Explanation, string[] Dial);

/// <summary>A GSM supplementary-service (MMI) code pair: dial Activate to turn forwarding on, Cancel to turn it off.</summary>
public sealed record MobileCode(string Kind, string Title, string Activate, string Cancel);

public sealed record PbxGuide(string Provider, string Title, string[] Steps);

/// <summary>What an owner dials or clicks to forward their number to the receptionist line, in their language.</summary>
public static class ForwardingInstructions
{
    public const int MinNoAnswerSeconds = 5;
    public const int MaxNoAnswerSeconds = 30;
    public const int DefaultNoAnswerSeconds = 20;

    public static ForwardingResponse For(string line, int noAnswerSeconds, string language)
    {
        var ru = language.StartsWith("ru", StringComparison.Ordinal);
        string T(string russian, string english) => ru ? russian : english;

        MobileCode[] mobile =
        [
            new("unconditional", T("Все звонки сразу", "All calls, always"), $"**21*{line}#", "##21#"),
            new("noAnswer", T($"Если не ответили за {noAnswerSeconds} с", $"When not answered within {noAnswerSeconds} s"),
                $"**61*{line}**{noAnswerSeconds}#", "##61#"),
            new("busy", T("Если занято", "When busy"), $"**67*{line}#", "##67#"),
            new("unreachable", T("Если телефон выключен или вне сети", "When switched off or out of coverage"), $"**62*{line}#", "##62#"),
            new("allConditional", T("Все условные сразу (не ответили, занято, недоступен)", "All conditional at once (no answer, busy, unreachable)"),
                $"**004*{line}#", "##004#"),
        ];

        var recommended = new RecommendedSetup(
            T("Рекомендуем: не ответили + занято + недоступен", "Recommended: no answer + busy + unreachable"),
            T($"Вы по-прежнему можете ответить сами; если не успели за {noAnswerSeconds} с, заняты или вне сети — звонок примет наш оператор от имени вашей компании.",
              $"You can still pick up yourself; if you don't within {noAnswerSeconds} s, are busy or unreachable, our operator answers in your company's name."),
            [mobile[1].Activate, mobile[2].Activate, mobile[3].Activate]);

        PbxGuide[] pbx =
        [
            new("mango", "MANGO OFFICE",
            [
                T("Войдите в личный кабинет MANGO OFFICE → «Виртуальная АТС» → «Сотрудники и группы».", "Sign in to MANGO OFFICE → “Virtual PBX” → “Employees and groups”."),
                T("Откройте сотрудника или группу, принимающую входящие, → «Переадресация».", "Open the employee or group taking incoming calls → “Call forwarding”."),
                T($"Добавьте номер {line} как последний шаг правила (после {noAnswerSeconds} с без ответа) или как единственный.", $"Add {line} as the rule's last step (after {noAnswerSeconds} s without answer) or as the only one."),
                T("Сохраните и нажмите «Проверить переадресацию» у нас.", "Save, then press “Check forwarding” here."),
            ]),
            new("telfin", T("Телфин", "Telfin"),
            [
                T("Войдите в Телфин.Офис → «Настройки» → «Входящая маршрутизация».", "Sign in to Telfin.Office → “Settings” → “Incoming routing”."),
                T("Выберите правило для вашего номера → «Добавить действие» → «Переадресация на внешний номер».", "Choose your number's rule → “Add action” → “Forward to external number”."),
                T($"Укажите {line}; для переадресации при неответе поставьте тайм-аут {noAnswerSeconds} с.", $"Enter {line}; for forwarding on no answer set the timeout to {noAnswerSeconds} s."),
                T("Сохраните правило и проверьте переадресацию у нас.", "Save the rule and check forwarding here."),
            ]),
            new("beeline", T("Билайн Бизнес (облачная АТС)", "Beeline Business (cloud PBX)"),
            [
                T("Откройте личный кабинет «Облачная АТС» → «Абоненты» → нужный сотрудник.", "Open the “Cloud PBX” account → “Subscribers” → the employee."),
                T("Раздел «Переадресация» → «Добавить правило».", "“Call forwarding” section → “Add rule”."),
                T($"Условия: «нет ответа» ({noAnswerSeconds} с), «занято», «недоступен»; номер переадресации — {line}.", $"Conditions: “no answer” ({noAnswerSeconds} s), “busy”, “unreachable”; forward to {line}."),
                T("Сохраните и проверьте переадресацию у нас.", "Save and check forwarding here."),
            ]),
            new("generic", T("Другая АТС", "Any other PBX"),
            [
                T($"В настройках входящих звонков найдите переадресацию на внешний номер и укажите {line}.", $"In the incoming-call settings find forwarding to an external number and enter {line}."),
                T($"Лучше всего — при неответе через {noAnswerSeconds} с, при занятости и недоступности.", $"Best: on no answer after {noAnswerSeconds} s, on busy and on unreachable."),
                T("Передавайте исходный номер звонящего (АОН), чтобы оператор видел, кто звонит.", "Pass the original caller ID through so the operator sees who is calling."),
                T("Сохраните и проверьте переадресацию у нас.", "Save and check forwarding here."),
            ]),
        ];

        return new ForwardingResponse(line, noAnswerSeconds, recommended, mobile, pbx);
    }
}
