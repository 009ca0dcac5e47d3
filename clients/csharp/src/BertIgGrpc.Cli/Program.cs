using BertIgGrpc.Cli;

return await BertigApp.RunAsync(args).ConfigureAwait(false);
