using System.Text.RegularExpressions;

namespace Receptionist.Infrastructure;

/// <summary>
/// Every sentence the API's problem details can say, in one place: each English text the features and the framework
/// write (DataAnnotations, Identity, the JSON reader), recognised by its pattern, with its stable machine code and its
/// Russian text. Features keep writing English; <see cref="ProblemLocalization"/> adds the codes and, for a Russian
/// request, the Russian. A sentence not listed here gets the code <c>invalid</c> and, in Russian, a generic sentence,
/// so no English reaches a Russian page. Add a line here with each new message.
/// </summary>
public static class ProblemTexts
{
    public sealed record Text(string Code, Regex English, string Russian)
    {
        /// <summary>The Russian sentence with the values the English one carried ({max}, {values}, …).</summary>
        public string RussianFor(Match match) =>
            Regex.Replace(Russian, @"\{(\w+)\}", m => match.Groups[m.Groups[1].Value] is { Success: true } g ? g.Value : m.Value);
    }

    static Text T(string code, string englishPattern, string russian) =>
        new(code, new Regex("^" + englishPattern + "$", RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1)), russian);

    public const string GenericCode = "invalid";
    public const string GenericFieldRussian = "Проверьте это значение.";

    /// <summary>Field errors, checked in order (the first match wins).</summary>
    public static readonly Text[] FieldErrors =
    [
        // Presence and shape (DataAnnotations, the JSON reader, our validators).
        T("required", @"The .+ field is required\.|Must not be null\.|The business name is required\.", "Заполните это поле."),
        T("tooLong", @"The field .+ must be a string or array type with a maximum length of '(?<max>\d+)'\.|Must be at most (?<max>\d+) characters\.",
            "Не длиннее {max} символов."),
        T("tooShort", @"The field .+ must be a string or array type with a minimum length of '(?<min>\d+)'\.", "Не короче {min} символов."),
        T("outOfRange", @"The field .+ must be between (?<from>\S+) and (?<to>\S+)\.|Must be from (?<from>\d+) to (?<to>\d+)\.",
            "Допустимо от {from} до {to}."),
        T("controlCharacters", @"Must not contain control characters\.", "Уберите служебные символы."),
        T("wrongType", @"Must be a string\.|Must be an array\.|Not a valid value here: .*|The request could not be read: .*|Nested deeper than \d+ levels\.",
            "Значение в неверном формате."),
        T("missingProperties", @"JSON deserialization for type .* was missing required properties.*", "Не хватает обязательных полей."),

        // Accounts (ours and Identity's).
        T("personalDataConsentRequired", @"Consent to the processing of personal data is required to sign up\.",
            "Без согласия на обработку персональных данных зарегистрироваться нельзя."),
        T("invalidEmail", @"The .+ field is not a valid e-mail address\.|Not a valid email address\.|Email '.*' is invalid\.",
            "Это не похоже на адрес почты; пример: name@example.ru."),
        T("passwordTooShort", @"Passwords must be at least (?<min>\d+) characters\.", "Пароль должен быть не короче {min} символов."),
        T("passwordRequiresDigit", @"Passwords must have at least one digit \('0'-'9'\)\.", "В пароле нужна хотя бы одна цифра."),
        T("passwordRequiresLower", @"Passwords must have at least one lowercase \('a'-'z'\)\.", "В пароле нужна хотя бы одна строчная латинская буква."),
        T("passwordRequiresUpper", @"Passwords must have at least one uppercase \('A'-'Z'\)\.", "В пароле нужна хотя бы одна заглавная латинская буква."),
        T("passwordRequiresNonAlphanumeric", @"Passwords must have at least one non alphanumeric character\.", "В пароле нужен хотя бы один знак, не буква и не цифра."),
        T("passwordRequiresUniqueChars", @"Passwords must use at least (?<n>\d+) different characters\.", "В пароле должно быть не меньше {n} разных символов."),
        T("invalidToken", @"Invalid token\.", "Код не подошёл: возможно, он устарел или уже использован."),

        // Businesses.
        T("invalidPhoneNumber", @"Not a valid phone number.*", "Это не похоже на номер телефона; введите его в международном формате, например +7 495 120-37-91."),
        T("numberTaken", @"This number is already protected by another business\.", "Этот номер уже подключён к другой компании."),
        T("numberInPool", @"This number is already in the pool\.", "Этот номер уже есть в пуле."),
        T("unknownTimeZone", @"Not a known IANA time zone.*", "Выберите часовой пояс из списка."),
        T("backupNumberLoops", @"The backup number cannot be the forwarded number itself: calls would loop\.",
            "Резервный номер не может совпадать с переадресуемым: звонки пойдут по кругу."),
        T("backupNumberRequired", @"Required when the fallback is backupNumber\.", "Укажите резервный номер: на него будут переводиться звонки."),
        T("unknownDay", @"Must be a day name: monday … sunday\.", "Выберите день недели."),
        T("intervalsOverlap", @"Overlaps another interval on the same day\.", "Пересекается с другим интервалом этого дня."),
        T("invalidDate", @"Must be a date as yyyy-MM-dd\.|Must be a date \(2026-11-27\).*", "Введите дату, например 31.12.2026."),
        T("duplicateDate", @"This date is listed twice\.", "Эта дата указана дважды."),
        T("invalidTime", @"Must be a time as HH:mm\.", "Введите время в формате ЧЧ:ММ, например 09:00."),
        T("closesBeforeOpening", @"Must be later than the opening time\.", "Время закрытия должно быть позже времени открытия."),
        T("notAfterEnd", @"Must not be after 'to'\.|Must be before 'to'\.", "Начало периода должно быть раньше его конца."),
        T("periodTooLong", @"A report covers at most (?<days>\d+) days\.", "Отчёт охватывает не больше {days} дней."),
        T("notOneOf", @"(?:Must be one of:|Choose one of:|Use one of) (?<values>.+?)(?: \(any case\))?\.|Must be (?<values>voicemail or backupNumber)\.|Must be (?<values>'dead' or 'pending')\.",
            "Выберите одно из значений: {values}."),

        // The call log's paging.
        T("invalidCursor", @"Not a cursor this call log gave as 'next'\.", "Ссылка на следующую страницу повреждена; откройте журнал звонков заново."),
        T("cursorWithPage", @"Give either 'page' or 'before', not both\.", "Укажите либо номер страницы, либо курсор следующей страницы, но не оба сразу."),

        // Scenarios and summaries.
        T("scenarioError", @"Line (?<line>\d+), column (?<column>\d+): .*", "Ошибка в тексте сценария: строка {line}, столбец {column}."),
        T("scenarioError", @"Line (?<line>\d+): .*", "Ошибка в тексте сценария: строка {line}."),
        T("notAScenarioField", @"Not a field of this call's scenario\.", "Такого поля нет в сценарии этого звонка."),
        T("requiredField", @"(?<label>[^:]+): required\.", "{label}: заполните поле."),

        // Staff (the admin's pool page).
        T("cannotDisableSelf", @"You cannot disable your own account\.", "Свою учётную запись отключить нельзя."),

        // Blocking, webhooks and CRMs, API keys, the digest.
        T("noCallerNumber", @"The call has no caller number to block\.", "У этого звонка нет номера, который можно заблокировать."),
        T("invalidBlockLink", @"The link is not valid or has expired; block the number from your call log instead\.",
            "Ссылка недействительна или устарела. Заблокируйте номер из журнала звонков."),
        T("notInFuture", @"Must be in the future\.", "Укажите время в будущем."),
        T("invalidWebhookUrl", @"Must be an https:// address on the internet, without a user name or password\.",
            "Нужен адрес https:// в интернете, без имени пользователя и пароля."),
        T("amoCrmTokenRequired", @"amoCRM needs the account's long-lived token\.", "Для amoCRM нужен долгосрочный токен."),
        T("tooManyEndpoints", @"A business has at most (?<max>\d+) endpoints; remove one first\.",
            "У компании не больше {max} подключений; сначала удалите одно."),
        T("tooManyKeys", @"At most (?<max>\d+) keys at a time; revoke one first\.", "Не больше {max} ключей одновременно; сначала отзовите один."),
        T("required", @"Required\.", "Заполните это поле."),
        T("invalidLocalTime", @"Must be a local time as HH:mm, e\.g\. 09:00\.", "Укажите время в формате ЧЧ:ММ, например 09:00."),
    ];

    /// <summary>Titles and details of problems that are not about one field.</summary>
    public static readonly Text[] Problems =
    [
        T("validation", @"One or more validation errors occurred\.", "Проверьте введённые данные."),
        T("awaitingLine", @"Awaiting line|The business is awaiting a receptionist line; .*", "Номер-секретарь ещё не выделен: переадресацию можно настроить, когда он появится."),
        T("telephonyNotConfigured", @"Telephony not configured|The telephony provider is not configured.*", "Тестовый звонок сейчас недоступен: телефония не подключена."),
        T("numberNotServed", @"Number not served", "Мы не обслуживаем этот номер."),
        T("paymentsNotConfigured", @"Payments are not configured|Set Stripe__SecretKey to take payments\.", "Оплата картой пока недоступна. Напишите нам, и мы подключим вас вручную."),
        T("alreadySubscribed", @"Already subscribed", "Подписка уже оформлена."),
        T("noSubscription", @"No subscription yet", "Подписки пока нет."),
        T("paymentProviderFailed", @"Stripe could not be read|The payment provider failed", "Платёжная система не ответила. Попробуйте через несколько минут."),
        T("tooManyRequests", @"Too many requests", "Слишком много попыток."),
        T("retryLater", @"Try again in (?<seconds>\d+) seconds\.", "Попробуйте снова через {seconds} с."),
        T("forwardingCheckCooldown", @"A forwarding check ran at (?<at>\S+) UTC; the next one may start at (?<next>\S+) UTC\.",
            "Проверка уже запускалась; следующую можно запустить в {next} (UTC)."),
        T("forwardingChecksPerDay", @"At most (?<n>\d+) forwarding checks a day; the next one may start at (?<next>.+) UTC\.",
            "Не больше {n} проверок в сутки; следующая возможна {next} (UTC)."),
        T("sessionRevoked", @"Session revoked|This refresh token was already used; sign in again\.", "Сеанс завершён: войдите снова."),
        T("scenarioUnusable", @"The scenario cannot be used\.", "Сценарий нельзя использовать."),
        T("tooManyPreviews", @"Too many previews are rendering right now; try again in a moment\.", "Слишком много предпросмотров сразу; повторите через мгновение."),
        T("serverError", @"An error occurred while processing your request\.", "Что-то пошло не так на нашей стороне. Попробуйте ещё раз."),

        // Transfers to the owner (the console).
        T("cannotTransfer", @"Cannot transfer", "Перевести звонок нельзя."),
        T("transferFailed", @"Transfer failed", "Перевод не удался."),
        T("transferProviderFailed", @"The provider could not place the transfer; you are back with the caller\.",
            "Телефония не смогла перевести звонок; вы снова с клиентом."),
        T("transferNotOnCall", @"Only a call you are talking on can be transferred\.", "Перевести можно только звонок, на котором вы сейчас говорите."),
        T("transferInProgress", @"This call is already being transferred\.", "Этот звонок уже переводится."),
        T("noTransferNumber", @"The business has no transfer number\.", "У компании не указан номер для перевода."),
        T("transferOutsideHours", @"The business does not take transfers at this hour\.", "Сейчас компания не принимает переводы."),
        T("coldTransferNotAllowed", @"The business does not allow cold transfers\.", "Компания не разрешает переводить звонки без представления."),
    ];

    /// <summary>A Russian title by status, for a problem whose text is not listed.</summary>
    public static string RussianTitle(int? status) => status switch
    {
        400 => "Запрос не выполнен: проверьте данные.",
        401 => "Нужно войти.",
        403 => "Нет доступа.",
        404 => "Не найдено.",
        409 => "Сейчас это сделать нельзя.",
        422 => "Запрос нельзя выполнить.",
        429 => "Слишком много попыток.",
        >= 500 => "Что-то пошло не так на нашей стороне. Попробуйте ещё раз.",
        _ => "Запрос не выполнен.",
    };

    public static (string Code, Match Match, Text Text)? Find(IEnumerable<Text> texts, string english)
    {
        foreach (var text in texts)
            if (text.English.Match(english) is { Success: true } match)
                return (text.Code, match, text);
        return null;
    }
}
