using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class OfferOutcomesAndTransferHold : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "offer_outcome",
                table: "operator_state_intervals",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "earlier_hold_seconds",
                table: "call_transfers",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<double>(
                name: "hold_seconds",
                table: "call_metrics_hourly",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<long>(
                name: "offers",
                table: "call_metrics_hourly",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "offers_answered",
                table: "call_metrics_hourly",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "offers_declined",
                table: "call_metrics_hourly",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "offers_missed",
                table: "call_metrics_hourly",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "offers_withdrawn",
                table: "call_metrics_hourly",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            // An offer's span records how it ended, read from the presence change that ends it, in the same trigger that
            // closes it (so CallQueue's statements stay as they are): on to busy is an answer; the run of missed offers
            // growing is a miss (whether or not it set the operator away); a cooldown set without a miss is a decline;
            // anything else (the caller hung up while it rang, a stale claim returned) took the offer back.
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION record_operator_state() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state THEN
                        RETURN NULL;
                    END IF;
                    UPDATE operator_state_intervals SET ended_at = GREATEST(started_at, NEW.updated_at),
                        offer_outcome = CASE
                            WHEN state <> 'Offered' THEN NULL
                            WHEN NEW.state = 'Busy' THEN 'Answered'
                            WHEN TG_OP = 'UPDATE' AND NEW.missed_offers > OLD.missed_offers THEN 'Missed'
                            WHEN TG_OP = 'UPDATE' AND NEW.offerable_at IS NOT NULL
                                 AND NEW.offerable_at IS DISTINCT FROM OLD.offerable_at THEN 'Declined'
                            ELSE 'Withdrawn' END
                    WHERE operator_id = NEW.operator_id AND ended_at IS NULL;
                    INSERT INTO operator_state_intervals (operator_id, state, started_at)
                    VALUES (NEW.operator_id, NEW.state, NEW.updated_at);
                    RETURN NULL;
                END
                $$;
                """);

            // Offers made before this: the one answered is the one followed by a busy span; how the others ended was not
            // kept (they count as offers, in no outcome).
            migrationBuilder.Sql("""
                UPDATE operator_state_intervals i SET offer_outcome = 'Answered'
                WHERE i.state = 'Offered' AND i.ended_at IS NOT NULL AND EXISTS (
                    SELECT 1 FROM operator_state_intervals n
                    WHERE n.operator_id = i.operator_id AND n.started_at = i.ended_at AND n.state = 'Busy');
                """);

            // Talk now leaves out hold, and offers are summed: the next rollup run sums the whole history again.
            migrationBuilder.Sql("DELETE FROM metrics_rollup_state;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION record_operator_state() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND NEW.state IS NOT DISTINCT FROM OLD.state THEN
                        RETURN NULL;
                    END IF;
                    UPDATE operator_state_intervals SET ended_at = GREATEST(started_at, NEW.updated_at)
                    WHERE operator_id = NEW.operator_id AND ended_at IS NULL;
                    INSERT INTO operator_state_intervals (operator_id, state, started_at)
                    VALUES (NEW.operator_id, NEW.state, NEW.updated_at);
                    RETURN NULL;
                END
                $$;
                DELETE FROM metrics_rollup_state;
                """);

            migrationBuilder.DropColumn(
                name: "offer_outcome",
                table: "operator_state_intervals");

            migrationBuilder.DropColumn(
                name: "earlier_hold_seconds",
                table: "call_transfers");

            migrationBuilder.DropColumn(
                name: "hold_seconds",
                table: "call_metrics_hourly");

            migrationBuilder.DropColumn(
                name: "offers",
                table: "call_metrics_hourly");

            migrationBuilder.DropColumn(
                name: "offers_answered",
                table: "call_metrics_hourly");

            migrationBuilder.DropColumn(
                name: "offers_declined",
                table: "call_metrics_hourly");

            migrationBuilder.DropColumn(
                name: "offers_missed",
                table: "call_metrics_hourly");

            migrationBuilder.DropColumn(
                name: "offers_withdrawn",
                table: "call_metrics_hourly");
        }
    }
}
